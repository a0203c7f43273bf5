//! The org hierarchy: a class's school is the nearest org of type `school` on the way up from the
//! class's own org, or the class's own org when there is none.

use std::collections::HashMap;

use engine::roster::Org;

/// Parent links of the orgs of one roster.
pub struct OrgTree<'a> {
    by_id: HashMap<&'a str, &'a Org>,
}

impl<'a> OrgTree<'a> {
    /// Indexes `orgs` by id.
    pub fn new(orgs: &'a [Org]) -> OrgTree<'a> {
        OrgTree {
            by_id: orgs.iter().map(|o| (o.id.as_str(), o)).collect(),
        }
    }

    /// The school of a class whose own org is `org_id`: the org itself if it is a school, else the
    /// nearest ancestor of type `school`, else `org_id` itself. `None` for an empty id. Cycles in
    /// parent links end the walk.
    pub fn school_of(&self, org_id: &str) -> Option<String> {
        if org_id.is_empty() {
            return None;
        }
        let mut current = org_id;
        for _ in 0..=self.by_id.len() {
            let Some(org) = self.by_id.get(current) else { break };
            if org.kind == "school" {
                return Some(org.id.clone());
            }
            match org.parent.as_deref() {
                Some(parent) if !parent.is_empty() => current = parent,
                _ => break,
            }
        }
        Some(org_id.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(id: &str, kind: &str, parent: Option<&str>) -> Org {
        Org {
            id: id.into(),
            name: id.into(),
            kind: kind.into(),
            parent: parent.map(Into::into),
        }
    }

    #[test]
    fn nearest_school_ancestor_or_own_org() {
        let orgs = vec![
            org("district", "district", None),
            org("school", "school", Some("district")),
            org("dept", "department", Some("school")),
            org("college", "college", None),
            org("loop1", "department", Some("loop2")),
            org("loop2", "department", Some("loop1")),
        ];
        let tree = OrgTree::new(&orgs);
        assert_eq!(tree.school_of("school").as_deref(), Some("school"));
        assert_eq!(tree.school_of("dept").as_deref(), Some("school"));
        assert_eq!(tree.school_of("college").as_deref(), Some("college"));
        assert_eq!(tree.school_of("district").as_deref(), Some("district"));
        assert_eq!(tree.school_of("loop1").as_deref(), Some("loop1"));
        assert_eq!(tree.school_of("not-in-roster").as_deref(), Some("not-in-roster"));
        assert_eq!(tree.school_of(""), None);
    }
}
