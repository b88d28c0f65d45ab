//! What publishing a world would change, layer by layer: the codes (or ids) added, changed and
//! removed. A feature is changed when any attribute or its geometry differs.

use crate::{Layer, WorldFile};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The difference of one layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerDifference {
    /// The layer.
    pub layer: Layer,
    /// Codes (ids) only in the new world.
    pub added: Vec<String>,
    /// Codes in both whose features differ.
    pub changed: Vec<String>,
    /// Codes only in the old world.
    pub removed: Vec<String>,
}

impl LayerDifference {
    /// Whether nothing changes in this layer.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// The difference of every layer, in [`Layer::ALL`] order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    /// One entry per layer.
    pub layers: Vec<LayerDifference>,
}

impl Difference {
    /// Whether the two worlds are the same.
    pub fn is_empty(&self) -> bool {
        self.layers.iter().all(LayerDifference::is_empty)
    }
}

fn compare<T: PartialEq>(layer: Layer, old: &[T], new: &[T], key: impl Fn(&T) -> String) -> LayerDifference {
    let old: BTreeMap<String, &T> = old.iter().map(|t| (key(t), t)).collect();
    let new: BTreeMap<String, &T> = new.iter().map(|t| (key(t), t)).collect();
    let mut d = LayerDifference { layer, added: Vec::new(), changed: Vec::new(), removed: Vec::new() };
    for (k, n) in &new {
        match old.get(k) {
            None => d.added.push(k.clone()),
            Some(o) if o != n => d.changed.push(k.clone()),
            Some(_) => {}
        }
    }
    d.removed = old.keys().filter(|k| !new.contains_key(*k)).cloned().collect();
    d
}

/// What changes from `old` to `new`.
///
/// ```
/// use world::{WorldFile, difference};
/// assert!(difference(&WorldFile::default(), &WorldFile::default()).is_empty());
/// ```
pub fn difference(old: &WorldFile, new: &WorldFile) -> Difference {
    Difference {
        layers: vec![
            compare(Layer::Regions, &old.regions, &new.regions, |r| r.code.trim().to_owned()),
            compare(Layer::Cells, &old.cells, &new.cells, |c| c.code.trim().to_owned()),
            compare(Layer::Resources, &old.resources, &new.resources, |r| r.id.to_string()),
            compare(Layer::Officers, &old.officers, &new.officers, |o| o.id.to_string()),
            compare(Layer::GridWorkers, &old.grid_workers, &new.grid_workers, |g| g.id.to_string()),
            compare(Layer::Units, &old.units, &new.units, |u| u.id.to_string()),
        ],
    }
}
