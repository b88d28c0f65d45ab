//! Jurisdiction: which part of the hierarchy a caller may see. Every index, tile and storage
//! query takes a scope, so a query without one does not compile. The server's geography turns a
//! scope into ranges of cell indexes (`Geography::cells_in`).

use crate::auth::{Role, User};
use crate::desk_book::DeskBook;
use crate::{CellCode, RegionCode};

/// The subtrees of some regions (a city user: the city; a village officer: their villages),
/// and single cells (a grid worker: their cells).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    roots: Vec<RegionCode>,
    cells: Vec<CellCode>,
    all: bool,
}

impl Scope {
    /// Everything: for operators at the command line, who hold the data files anyway.
    pub fn everything() -> Scope {
        Scope { roots: Vec::new(), cells: Vec::new(), all: true }
    }

    /// The subtrees of `roots` (nested roots are merged).
    pub fn of(mut roots: Vec<RegionCode>) -> Scope {
        roots.sort();
        roots.dedup();
        let kept: Vec<RegionCode> =
            roots.iter().copied().filter(|r| !roots.iter().any(|o| o != r && o.contains(*r))).collect();
        Scope { roots: kept, cells: Vec::new(), all: false }
    }

    /// Single cells (a grid worker's): no region's subtree, only these cells.
    pub fn of_cells(mut cells: Vec<CellCode>) -> Scope {
        cells.sort();
        cells.dedup();
        Scope { roots: Vec::new(), cells, all: false }
    }

    /// A user's scope: their jurisdiction's subtree, their officer's current villages, or their
    /// grid worker's current cells (`grid_worker_scope`, from the world in force: the server's
    /// geography). Department staff see no region's situation: their work orders are granted
    /// one by one.
    pub fn of_user(user: &User, desk: &DeskBook, grid_worker_scope: impl FnOnce(u64) -> Scope) -> Scope {
        match user.role {
            Role::Department => Scope::of(Vec::new()),
            Role::GridWorker => user.grid_worker_id.map_or_else(|| Scope::of(Vec::new()), grid_worker_scope),
            Role::Village => match (user.officer_id, user.jurisdiction) {
                (Some(officer), _) => Scope::of(desk.villages_of(officer)),
                (None, j) => Scope::of(j.into_iter().collect()),
            },
            Role::City | Role::County | Role::Township | Role::Analyst | Role::Admin | Role::Leader => {
                Scope::of(user.jurisdiction.into_iter().collect())
            }
        }
    }

    /// Whether this is [`Scope::everything`] (a city-wide caller).
    pub fn is_everything(&self) -> bool {
        self.all
    }

    /// The regions whose subtrees this scope covers (empty for [`Scope::everything`]).
    pub fn roots(&self) -> &[RegionCode] {
        &self.roots
    }

    /// The single cells this scope covers besides its roots' subtrees.
    pub fn cells(&self) -> &[CellCode] {
        &self.cells
    }

    /// The scope as SQL `LIKE` patterns on 15-digit cell codes (`None`: everywhere; an empty
    /// list: nowhere), for stores that filter in the database.
    pub fn cell_code_patterns(&self) -> Option<Vec<String>> {
        (!self.all).then(|| {
            let subtrees = self.roots.iter().map(|r| format!("{}%", &r.to_string()[..r.level().significant_digits()]));
            subtrees.chain(self.cells.iter().map(ToString::to_string)).collect()
        })
    }

    /// Whether `code` lies inside the scope.
    pub fn allows_region(&self, code: RegionCode) -> bool {
        self.all || self.roots.iter().any(|r| r.contains(code))
    }

    /// Whether `code` is inside the scope or one of its ancestors (names along a breadcrumb;
    /// for single cells, their village and its ancestors).
    pub fn allows_path_to(&self, code: RegionCode) -> bool {
        self.allows_region(code)
            || self.roots.iter().any(|r| code.contains(*r))
            || self.cells.iter().any(|c| code.contains(c.village()))
    }

    /// Whether the cell lies inside the scope.
    pub fn allows_cell(&self, code: CellCode) -> bool {
        self.allows_region(code.village()) || self.cells.binary_search(&code).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> RegionCode {
        s.parse().unwrap()
    }

    #[test]
    fn nested_roots_merge_and_subtrees_are_allowed() {
        let s = Scope::of(vec![code("620602001000"), code("620602001002"), code("620621100201")]);
        assert_eq!(s.roots(), [code("620602001000"), code("620621100201")]);
        assert!(s.allows_region(code("620602001007")));
        assert!(!s.allows_region(code("620602002001")));
        assert!(!s.allows_region(code("620602000000")));
        assert!(s.allows_path_to(code("620602000000")), "ancestors are on the path");
        assert!(s.allows_cell("620621100201003".parse().unwrap()));
        assert!(!s.allows_cell("620621100202003".parse().unwrap()));
        assert!(Scope::everything().allows_region(code("620623000000")));
        assert!(!Scope::of(vec![]).allows_region(code("620600000000")));
    }

    #[test]
    fn sql_patterns_match_the_same_cells_as_allows_cell() {
        let s = Scope::of(vec![code("620602001000"), code("620621100201"), code("620622000000")]);
        let patterns = s.cell_code_patterns().unwrap();
        assert_eq!(patterns, ["620602001%", "620621100201%", "620622%"]);
        let like = |cell: &str| patterns.iter().any(|p| cell.starts_with(p.trim_end_matches('%')));
        for cell in ["620602001007001", "620602002001001", "620621100201003", "620621100202003", "620622101001001"] {
            assert_eq!(like(cell), s.allows_cell(cell.parse().unwrap()), "{cell}");
        }
        let cells = Scope::of_cells(vec!["620602001007002".parse().unwrap()]);
        assert_eq!(cells.cell_code_patterns().unwrap(), ["620602001007002"]);
        assert_eq!(Scope::everything().cell_code_patterns(), None);
        assert_eq!(Scope::of(vec![]).cell_code_patterns(), Some(vec![]));
    }

    #[test]
    fn single_cells_allow_only_themselves_and_name_their_path() {
        let s = Scope::of_cells(vec!["620602001007002".parse().unwrap(), "620602001007002".parse().unwrap()]);
        assert_eq!(s.cells().len(), 1, "duplicates merge");
        assert!(s.allows_cell("620602001007002".parse().unwrap()));
        assert!(!s.allows_cell("620602001007001".parse().unwrap()), "a neighbouring cell of the same village");
        assert!(!s.allows_region(code("620602001007")), "the cell's village is not in scope");
        assert!(s.allows_path_to(code("620602001007")) && s.allows_path_to(code("620602000000")));
        assert!(!s.allows_path_to(code("620602001008")));
    }
}
