//! A road network for travel distances: polylines in planar metres (project first, e.g. UTM 48N
//! for Wuwei) become an undirected graph whose nodes are the polylines' vertices, with vertices
//! closer than a snap distance merged into one node (so roads meet where their vertices do), and
//! whose edges are weighted by their length in metres. Speeds are not part of the graph.
//!
//! Travel between two arbitrary points is the off-road access to each point's nearest node (a
//! straight line × a detour factor) plus the shortest network distance between the two nodes; if
//! the network does not connect them, the straight line × detour is used instead
//! ([`RoadNetwork::travel_m`]).
//!
//! A T-junction whose side road does not share a vertex (within the snap distance) with the main
//! road is not connected: the graph joins vertices, not segment interiors.

use rstar::RTree;
use rstar::primitives::GeomWithData;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

type NodeEntry = GeomWithData<[f64; 2], usize>;

/// An undirected road graph in planar metres with an R-tree over its nodes.
///
/// ```
/// use analytics::roads::RoadNetwork;
/// // An L-shaped road: (0,0) → (100,0) → (100,100), and a second line ending 2 m from the corner.
/// let lines = vec![vec![[0.0, 0.0], [100.0, 0.0], [100.0, 100.0]], vec![[102.0, 0.0], [200.0, 0.0]]];
/// let net = RoadNetwork::from_lines(&lines, 5.0);
/// assert_eq!(net.node_count(), 4); // the vertex at (102, 0) merged into the corner
/// let (a, _) = net.nearest_node([0.0, 0.0]).unwrap();
/// let (b, _) = net.nearest_node([100.0, 100.0]).unwrap();
/// assert_eq!(net.shortest_paths_m(a)[b], 200.0);
/// ```
#[derive(Debug, Clone)]
pub struct RoadNetwork {
    /// Node positions, metres.
    nodes: Vec<[f64; 2]>,
    /// Compressed adjacency: the neighbours of node `i` are `targets[offsets[i]..offsets[i + 1]]`.
    offsets: Vec<usize>,
    targets: Vec<usize>,
    /// Edge lengths, metres, parallel to `targets`.
    lengths_m: Vec<f64>,
    tree: RTree<NodeEntry>,
}

/// A heap entry ordered so that `BinaryHeap` pops the smallest distance first (ties: lower node).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Queued {
    dist_m: f64,
    node: usize,
}

impl Eq for Queued {}

impl Ord for Queued {
    fn cmp(&self, other: &Self) -> Ordering {
        other.dist_m.total_cmp(&self.dist_m).then_with(|| other.node.cmp(&self.node))
    }
}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn dist_m(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

impl RoadNetwork {
    /// Builds the graph from polylines in metres; vertices within `snap_m` metres of an existing
    /// node join it (first come, first served), non-finite vertices are skipped.
    pub fn from_lines(lines: &[Vec<[f64; 2]>], snap_m: f64) -> RoadNetwork {
        let snap2 = if snap_m.is_finite() && snap_m > 0.0 { snap_m * snap_m } else { 0.0 };
        let mut nodes: Vec<[f64; 2]> = Vec::new();
        let mut tree: RTree<NodeEntry> = RTree::new();
        let mut edges: Vec<(usize, usize, f64)> = Vec::new();
        for line in lines {
            let mut prev: Option<usize> = None;
            for &p in line {
                if !(p[0].is_finite() && p[1].is_finite()) {
                    continue;
                }
                let near = tree.nearest_neighbor_iter_with_distance_2(p).next().filter(|(_, d2)| *d2 <= snap2);
                let node = match near {
                    Some((e, _)) => e.data,
                    None => {
                        nodes.push(p);
                        tree.insert(GeomWithData::new(p, nodes.len() - 1));
                        nodes.len() - 1
                    }
                };
                if let Some(q) = prev
                    && q != node
                {
                    edges.push((q, node, dist_m(nodes[q], nodes[node])));
                }
                prev = Some(node);
            }
        }
        let mut degree = vec![0usize; nodes.len() + 1];
        for &(a, b, _) in &edges {
            degree[a] += 1;
            degree[b] += 1;
        }
        let mut offsets = vec![0usize; nodes.len() + 1];
        for i in 0..nodes.len() {
            offsets[i + 1] = offsets[i] + degree[i];
        }
        let mut fill = offsets.clone();
        let mut targets = vec![0usize; offsets[nodes.len()]];
        let mut lengths_m = vec![0.0f64; offsets[nodes.len()]];
        for &(a, b, l) in &edges {
            targets[fill[a]] = b;
            lengths_m[fill[a]] = l;
            fill[a] += 1;
            targets[fill[b]] = a;
            lengths_m[fill[b]] = l;
            fill[b] += 1;
        }
        let tree = RTree::bulk_load(nodes.iter().enumerate().map(|(i, &p)| GeomWithData::new(p, i)).collect());
        RoadNetwork { nodes, offsets, targets, lengths_m, tree }
    }

    /// Number of nodes (merged vertices).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Position of node `node` in metres, `None` if there is no such node.
    pub fn node_position(&self, node: usize) -> Option<[f64; 2]> {
        self.nodes.get(node).copied()
    }

    /// The node nearest to `p` (metres) and its straight-line distance in metres; `None` for an
    /// empty network or a non-finite point.
    pub fn nearest_node(&self, p: [f64; 2]) -> Option<(usize, f64)> {
        if !(p[0].is_finite() && p[1].is_finite()) {
            return None;
        }
        self.tree.nearest_neighbor(p).map(|e| (e.data, dist_m(*e.geom(), p)))
    }

    /// Network distance in metres from `from_node` to every node (Dijkstra); `f64::INFINITY` for
    /// nodes it cannot reach (all of them if `from_node` does not exist).
    pub fn shortest_paths_m(&self, from_node: usize) -> Vec<f64> {
        self.dijkstra(from_node, &[], false).0
    }

    /// Network distances in metres from `from_node` to each of `targets`, stopping the search
    /// once all of them are settled; `f64::INFINITY` where unreachable.
    pub fn distances_to_m(&self, from_node: usize, targets: &[usize]) -> Vec<f64> {
        let (dist, _) = self.dijkstra(from_node, targets, false);
        targets.iter().map(|&t| dist.get(t).copied().unwrap_or(f64::INFINITY)).collect()
    }

    /// Geometry of a shortest path between two nodes, node positions in metres from `from_node`
    /// to `to_node` inclusive; `None` if either node does not exist or they are not connected.
    pub fn path(&self, from_node: usize, to_node: usize) -> Option<Vec<[f64; 2]>> {
        if to_node >= self.nodes.len() {
            return None;
        }
        let (dist, pred) = self.dijkstra(from_node, &[to_node], true);
        if !dist.get(to_node)?.is_finite() {
            return None;
        }
        let mut out = vec![self.nodes[to_node]];
        let mut at = to_node;
        while at != from_node {
            at = pred[at];
            out.push(self.nodes[at]);
        }
        out.reverse();
        Some(out)
    }

    /// Travel distance in metres between two points in metres: the access legs to the nearest
    /// nodes × `access_detour` plus the network distance; the straight line × `access_detour` if
    /// the network does not connect them (or is empty); 0 between equal points.
    pub fn travel_m(&self, a: [f64; 2], b: [f64; 2], access_detour: f64) -> f64 {
        if a == b {
            return 0.0;
        }
        let straight = dist_m(a, b) * access_detour;
        let (Some((na, da)), Some((nb, db))) = (self.nearest_node(a), self.nearest_node(b)) else {
            return straight;
        };
        let network = self.distances_to_m(na, &[nb])[0];
        if network.is_finite() { (da + db) * access_detour + network } else { straight }
    }

    /// Geometry of the travel of [`RoadNetwork::travel_m`] in metres: `a`, the road path, `b`
    /// (or just `[a, b]` when the network does not connect them).
    pub fn travel_path(&self, a: [f64; 2], b: [f64; 2]) -> Vec<[f64; 2]> {
        let (Some((na, _)), Some((nb, _))) = (self.nearest_node(a), self.nearest_node(b)) else {
            return vec![a, b];
        };
        match self.path(na, nb) {
            Some(mut p) => {
                p.insert(0, a);
                p.push(b);
                p.dedup();
                if p.len() == 1 {
                    p.push(b);
                }
                p
            }
            None => vec![a, b],
        }
    }

    /// Dijkstra from `from`; stops early once every node of `targets` is settled (if any are
    /// given). Returns distances and, if `want_pred`, predecessors (`usize::MAX` for none).
    fn dijkstra(&self, from: usize, targets: &[usize], want_pred: bool) -> (Vec<f64>, Vec<usize>) {
        let n = self.nodes.len();
        let mut dist = vec![f64::INFINITY; n];
        let mut pred = if want_pred { vec![usize::MAX; n] } else { Vec::new() };
        if from >= n {
            return (dist, pred);
        }
        let mut wanted = vec![false; if targets.is_empty() { 0 } else { n }];
        let mut remaining = 0usize;
        for &t in targets {
            if t < n && !wanted[t] {
                wanted[t] = true;
                remaining += 1;
            }
        }
        let mut done = vec![false; n];
        let mut heap = BinaryHeap::new();
        dist[from] = 0.0;
        heap.push(Queued { dist_m: 0.0, node: from });
        while let Some(Queued { dist_m: d, node }) = heap.pop() {
            if done[node] {
                continue;
            }
            done[node] = true;
            if !targets.is_empty() && wanted[node] {
                remaining -= 1;
                if remaining == 0 {
                    break;
                }
            }
            for k in self.offsets[node]..self.offsets[node + 1] {
                let next = self.targets[k];
                let nd = d + self.lengths_m[k];
                if nd < dist[next] {
                    dist[next] = nd;
                    if want_pred {
                        pred[next] = node;
                    }
                    heap.push(Queued { dist_m: nd, node: next });
                }
            }
        }
        (dist, pred)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn snapping_merges_close_vertices_only() {
        let lines = vec![vec![[0.0, 0.0], [10.0, 0.0]], vec![[10.0, 3.0], [10.0, 20.0]], vec![[0.0, 6.0], [0.0, 30.0]]];
        let net = RoadNetwork::from_lines(&lines, 5.0);
        // (10,3) joins (10,0); (0,6) is 6 m from (0,0) and stays apart.
        assert_eq!(net.node_count(), 5);
        let (a, _) = net.nearest_node([0.0, 0.0]).unwrap();
        let (b, _) = net.nearest_node([10.0, 20.0]).unwrap();
        assert_eq!(net.shortest_paths_m(a)[b], 30.0);
        let (c, _) = net.nearest_node([0.0, 30.0]).unwrap();
        assert!(net.shortest_paths_m(a)[c].is_infinite());
        assert!(net.path(a, c).is_none());
    }

    #[test]
    fn nearest_node_reports_distance() {
        let net = RoadNetwork::from_lines(&[vec![[0.0, 0.0], [100.0, 0.0]]], 1.0);
        let (n, d) = net.nearest_node([90.0, 30.0]).unwrap();
        assert_eq!(net.node_position(n), Some([100.0, 0.0]));
        assert!((d - 10f64.hypot(30.0)).abs() < 1e-9);
        assert!(RoadNetwork::from_lines(&[], 1.0).nearest_node([0.0, 0.0]).is_none());
    }

    #[test]
    fn l_shaped_road_is_longer_than_the_straight_line() {
        let net = RoadNetwork::from_lines(&[vec![[0.0, 0.0], [1000.0, 0.0], [1000.0, 1000.0]]], 5.0);
        let d = net.travel_m([0.0, 0.0], [1000.0, 1000.0], 1.3);
        assert!((d - 2000.0).abs() < 1e-9);
        let path = net.travel_path([0.0, 0.0], [1000.0, 1000.0]);
        assert_eq!(path, vec![[0.0, 0.0], [1000.0, 0.0], [1000.0, 1000.0]]);
        // Access legs count × detour: 10 m off the road at each end.
        let d = net.travel_m([0.0, -10.0], [1010.0, 1000.0], 1.5);
        assert!((d - (2000.0 + 20.0 * 1.5)).abs() < 1e-9);
    }

    #[test]
    fn disconnected_network_falls_back_to_the_straight_line() {
        let net = RoadNetwork::from_lines(&[vec![[0.0, 0.0], [10.0, 0.0]], vec![[0.0, 100.0], [10.0, 100.0]]], 5.0);
        let d = net.travel_m([0.0, 0.0], [0.0, 100.0], 1.2);
        assert!((d - 120.0).abs() < 1e-9);
        assert_eq!(net.travel_path([0.0, 0.0], [0.0, 100.0]), vec![[0.0, 0.0], [0.0, 100.0]]);
    }

    /// Dijkstra on a random grid-like graph equals Floyd–Warshall, and paths have that length.
    #[test]
    fn dijkstra_matches_floyd_warshall() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for _ in 0..20 {
            let pts: Vec<[f64; 2]> =
                (0..25).map(|_| [rng.random_range(0.0..1000.0), rng.random_range(0.0..1000.0)]).collect();
            let lines: Vec<Vec<[f64; 2]>> = (0..30)
                .map(|_| {
                    let k = rng.random_range(2..4);
                    (0..k).map(|_| pts[rng.random_range(0..pts.len())]).collect()
                })
                .collect();
            let net = RoadNetwork::from_lines(&lines, 0.5);
            let n = net.node_count();
            let mut fw = vec![vec![f64::INFINITY; n]; n];
            for (i, row) in fw.iter_mut().enumerate() {
                row[i] = 0.0;
                for k in net.offsets[i]..net.offsets[i + 1] {
                    let j = net.targets[k];
                    row[j] = row[j].min(net.lengths_m[k]);
                }
            }
            for k in 0..n {
                for i in 0..n {
                    for j in 0..n {
                        let via = fw[i][k] + fw[k][j];
                        if via < fw[i][j] {
                            fw[i][j] = via;
                        }
                    }
                }
            }
            for (i, fw_row) in fw.iter().enumerate() {
                let d = net.shortest_paths_m(i);
                for j in 0..n {
                    if fw_row[j].is_infinite() {
                        assert!(d[j].is_infinite());
                        assert!(net.path(i, j).is_none());
                        continue;
                    }
                    assert!((d[j] - fw_row[j]).abs() < 1e-6);
                    let p = net.path(i, j).unwrap();
                    let len: f64 = p.windows(2).map(|w| dist_m(w[0], w[1])).sum();
                    assert!((len - fw_row[j]).abs() < 1e-6);
                    assert_eq!(net.distances_to_m(i, &[j])[0], d[j]);
                }
            }
        }
    }
}
