//! The organisation tree (组织树): region (province → city → county) → department (主管部门)
//! → budget unit (预算单位, which may have sub-units).

use std::collections::{BTreeMap, HashMap};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Region,
    Department,
    Unit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    Province,
    City,
    County,
}

impl OrgKind {
    pub fn parse(s: &str) -> Result<OrgKind, String> {
        match s.trim() {
            "region" | "地区" | "财政区划" => Ok(OrgKind::Region),
            "department" | "主管部门" | "部门" => Ok(OrgKind::Department),
            "unit" | "预算单位" | "单位" => Ok(OrgKind::Unit),
            other => Err(format!("kind must be region, department or unit, not {other:?}")),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Region => "region",
            OrgKind::Department => "department",
            OrgKind::Unit => "unit",
        }
    }
}

impl RegionLevel {
    pub fn parse(s: &str) -> Result<RegionLevel, String> {
        match s.trim() {
            "province" | "省" | "省级" => Ok(RegionLevel::Province),
            "city" | "市" | "市级" => Ok(RegionLevel::City),
            "county" | "县" | "县级" => Ok(RegionLevel::County),
            other => Err(format!("level must be province, city or county, not {other:?}")),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            RegionLevel::Province => "province",
            RegionLevel::City => "city",
            RegionLevel::County => "county",
        }
    }
}

/// One node of the tree as the units template describes it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OrgNode {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub kind: OrgKind,
    pub level: Option<RegionLevel>,
}

/// What may hang under what. `None` parent means the node is a root.
pub fn check_parent(child: &OrgNode, parent: Option<&OrgNode>) -> Result<(), String> {
    use OrgKind::*;
    use RegionLevel::*;
    match (child.kind, child.level, parent.map(|p| (p.kind, p.level))) {
        (Region, Some(Province), None) => Ok(()),
        (Region, Some(Province), Some(_)) => Err("a province is a root: parent_code must be empty".into()),
        (Region, Some(City), Some((Region, Some(Province)))) => Ok(()),
        // A county sits under a city, or directly under a province-level region: the
        // province-administered counties (省直管县) and the districts and counties of the four
        // municipalities (直辖市).
        (Region, Some(County), Some((Region, Some(City | Province)))) => Ok(()),
        (Region, Some(City), _) => Err("a city's parent must be a province".into()),
        (Region, Some(County), _) => Err("a county's parent must be a city or a province".into()),
        (Region, None, _) => Err("a region needs a level (province, city or county)".into()),
        (Department, _, Some((Region, _))) => Ok(()),
        (Department, _, _) => Err("a department's parent must be a region".into()),
        (Unit, _, Some((Department | Unit, _))) => Ok(()),
        (Unit, _, _) => Err("a unit's parent must be a department or a unit".into()),
    }
}

/// The code and name of the nation: the one region above the provinces in national figures.
pub const NATION: (&str, &str) = ("000000", "全国");

/// A province's organisation node as read for the nation: code, name, parent, kind, level.
pub type NationalRow = (String, String, Option<String>, String, Option<String>);

/// The tree held in memory: lookups by code, the region a node belongs to, ancestors.
#[derive(Clone, Debug, Default)]
pub struct OrgTree {
    nodes: HashMap<String, OrgNode>,
}

/// Upper bound on tree depth; deeper means a cycle slipped in.
const DEPTH_MAX: usize = 64;

impl OrgTree {
    pub fn new() -> OrgTree {
        OrgTree::default()
    }

    pub fn get(&self, code: &str) -> Option<&OrgNode> {
        self.nodes.get(code)
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn nodes(&self) -> impl Iterator<Item = &OrgNode> {
        self.nodes.values()
    }

    /// Adds nodes already known valid (read back from the store).
    pub fn insert_trusted(&mut self, node: OrgNode) {
        self.nodes.insert(node.code.clone(), node);
    }

    /// The provinces' organisations as one tree under the nation (`NATION`): each row
    /// (code, name, parent, kind, level) as a province stores it, a province's top region
    /// hung under the nation.
    pub fn national(rows: impl IntoIterator<Item = NationalRow>) -> Result<OrgTree, String> {
        let mut tree = OrgTree::new();
        tree.insert_trusted(OrgNode {
            code: NATION.0.into(),
            name: NATION.1.into(),
            parent_code: None,
            kind: OrgKind::Region,
            level: None,
        });
        for (code, name, parent, kind, level) in rows {
            let kind = OrgKind::parse(&kind)?;
            let parent_code = match parent.filter(|p| !p.is_empty()) {
                Some(p) => Some(p),
                None => (kind == OrgKind::Region).then(|| NATION.0.to_string()),
            };
            let level = level.and_then(|l| RegionLevel::parse(&l).ok());
            tree.insert_trusted(OrgNode { code, name, parent_code, kind, level });
        }
        Ok(tree)
    }

    /// Adds a batch of new nodes, in any order, checking each parent's kind and that no
    /// cycle forms. Returns, per failing node (by its index in `batch`), the reason.
    pub fn add_batch(&mut self, batch: &[OrgNode]) -> Vec<(usize, String)> {
        let mut errors = Vec::new();
        let pending: BTreeMap<&str, usize> = batch.iter().enumerate().map(|(i, n)| (n.code.as_str(), i)).collect();
        for (i, node) in batch.iter().enumerate() {
            let parent = match &node.parent_code {
                None => None,
                Some(p) => match self.nodes.get(p).or_else(|| pending.get(p.as_str()).map(|&j| &batch[j])) {
                    Some(parent) => Some(parent),
                    None => {
                        errors.push((i, format!("unknown parent_code {p:?}: not in the database nor in this file")));
                        continue;
                    }
                },
            };
            if let Err(e) = check_parent(node, parent) {
                errors.push((i, e));
            }
        }
        // Cycles can only form among units (unit under unit); walk up from each new node.
        for (i, node) in batch.iter().enumerate() {
            let mut code = node.parent_code.as_deref();
            let mut steps = 0;
            while let Some(c) = code {
                if c == node.code || steps > DEPTH_MAX {
                    errors.push((
                        i,
                        format!(
                            "parent_code {:?} makes a cycle in the organisation tree",
                            node.parent_code.as_deref().unwrap_or_default()
                        ),
                    ));
                    break;
                }
                steps += 1;
                code = self
                    .nodes
                    .get(c)
                    .or_else(|| pending.get(c).map(|&j| &batch[j]))
                    .and_then(|n| n.parent_code.as_deref());
            }
        }
        if errors.is_empty() {
            for n in batch {
                self.nodes.insert(n.code.clone(), n.clone());
            }
        }
        errors.sort_by_key(|(i, _)| *i);
        errors
    }

    /// Codes from `code` up to the root, `code` first.
    pub fn ancestors(&self, code: &str) -> Vec<&OrgNode> {
        let mut out = Vec::new();
        let mut cur = self.nodes.get(code);
        while let Some(n) = cur {
            if out.len() > DEPTH_MAX {
                break;
            }
            out.push(n);
            cur = n.parent_code.as_deref().and_then(|p| self.nodes.get(p));
        }
        out
    }

    /// The nearest region at or above `code`.
    pub fn region_of(&self, code: &str) -> Option<&OrgNode> {
        self.ancestors(code).into_iter().find(|n| n.kind == OrgKind::Region)
    }

    /// The nearest department at or above `code`.
    pub fn department_of(&self, code: &str) -> Option<&OrgNode> {
        self.ancestors(code).into_iter().find(|n| n.kind == OrgKind::Department)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(code: &str, parent: Option<&str>, kind: OrgKind, level: Option<RegionLevel>) -> OrgNode {
        OrgNode { code: code.into(), name: code.into(), parent_code: parent.map(Into::into), kind, level }
    }

    #[test]
    fn accepts_a_tree_in_any_order() {
        let mut t = OrgTree::new();
        let batch = vec![
            node("U1", Some("D1"), OrgKind::Unit, None),
            node("D1", Some("C1"), OrgKind::Department, None),
            node("C1", Some("P"), OrgKind::Region, Some(RegionLevel::City)),
            node("P", None, OrgKind::Region, Some(RegionLevel::Province)),
        ];
        assert!(t.add_batch(&batch).is_empty());
        assert_eq!(t.region_of("U1").map(|n| n.code.as_str()), Some("C1"));
        assert_eq!(t.department_of("U1").map(|n| n.code.as_str()), Some("D1"));
    }

    #[test]
    fn a_county_sits_under_a_city_or_directly_under_its_province() {
        // Hubei's 仙桃 is administered by the province; 黄陂区 is a district of 武汉.
        let mut t = OrgTree::new();
        let batch = vec![
            node("42", None, OrgKind::Region, Some(RegionLevel::Province)),
            node("4201", Some("42"), OrgKind::Region, Some(RegionLevel::City)),
            node("420116", Some("4201"), OrgKind::Region, Some(RegionLevel::County)),
            node("429004", Some("42"), OrgKind::Region, Some(RegionLevel::County)),
            node("D", Some("429004"), OrgKind::Department, None),
            node("U", Some("D"), OrgKind::Unit, None),
        ];
        assert!(t.add_batch(&batch).is_empty());
        assert_eq!(t.region_of("U").map(|n| n.code.as_str()), Some("429004"));
        let path: Vec<&str> = t.ancestors("U").iter().map(|n| n.code.as_str()).collect();
        assert_eq!(path, ["U", "D", "429004", "42"]);
        // A city under a city, or a county under a county, is still refused.
        let bad = vec![
            node("4202", Some("4201"), OrgKind::Region, Some(RegionLevel::City)),
            node("420117", Some("420116"), OrgKind::Region, Some(RegionLevel::County)),
        ];
        let errs = t.add_batch(&bad);
        assert_eq!(errs.len(), 2, "{errs:?}");
    }

    #[test]
    fn rejects_wrong_parents_and_cycles() {
        let mut t = OrgTree::new();
        let batch = vec![
            node("P", None, OrgKind::Region, Some(RegionLevel::Province)),
            node("C", Some("P"), OrgKind::Region, Some(RegionLevel::County)),
            node("X", Some("C"), OrgKind::Region, Some(RegionLevel::County)),
            node("U", Some("P"), OrgKind::Unit, None),
            node("A", Some("B"), OrgKind::Unit, None),
            node("B", Some("A"), OrgKind::Unit, None),
            node("Z", Some("nowhere"), OrgKind::Department, None),
        ];
        let errs = t.add_batch(&batch);
        let idx: Vec<usize> = errs.iter().map(|(i, _)| *i).collect();
        assert_eq!(idx, vec![2, 3, 4, 5, 6]);
        assert_eq!(errs[0].1, "a county's parent must be a city or a province");
        assert!(errs[2].1.contains("cycle"));
        assert!(errs[4].1.contains("unknown parent_code"));
        assert!(t.is_empty(), "a failed batch adds nothing");
    }
}
