use crate::GroupId;

/// A group's materialized path: the ids from the root down to the group, e.g. `/a1/b17/c342/`.
///
/// Each id is written as its digit count (`a` = 1 digit, `b` = 2, …) followed by its digits, so
/// that plain string order is tree order: a group sorts right before its descendants, and
/// siblings sort by id. "This group and everything below it" is then one index range,
/// `[path, path.subtree_end())`, on SQLite and PostgreSQL alike (PostgreSQL's column uses the
/// "C" collation so that its order is byte order too).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TreePath(String);

impl TreePath {
    /// The path of a group with no parent.
    pub fn root(id: GroupId) -> TreePath {
        TreePath(format!("/{}/", segment(id)))
    }

    /// The path of a child `id` of the group at `self`.
    pub fn child(&self, id: GroupId) -> TreePath {
        TreePath(format!("{}{}/", self.0, segment(id)))
    }

    /// Wraps a path read back from storage. Storage only ever writes paths built here.
    pub fn from_stored(text: String) -> TreePath {
        TreePath(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first string after every path that starts with `self`: `/` is followed by `0` in
    /// byte order, so swapping the final `/` for `0` closes the range.
    pub fn subtree_end(&self) -> String {
        let mut end = self.0.clone();
        end.pop();
        end.push('0');
        end
    }

    /// True when `other` is this group or one of its descendants.
    pub fn contains(&self, other: &TreePath) -> bool {
        other.0.starts_with(&self.0)
    }

    /// The ids on the path, root first, the group itself last.
    pub fn ids(&self) -> Vec<GroupId> {
        self.0
            .split('/')
            .filter(|segment| !segment.is_empty())
            .filter_map(|segment| segment.get(1..)?.parse().ok())
            .map(GroupId)
            .collect()
    }
}

impl std::fmt::Display for TreePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn segment(id: GroupId) -> String {
    let digits = id.0.to_string();
    // Ids are positive i64s: at most 19 digits, so the prefix runs from 'a' to 's'.
    let prefix = char::from(b'a' + (digits.len() as u8 - 1));
    format!("{prefix}{digits}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(ids: &[i64]) -> TreePath {
        let (first, rest) = ids.split_first().unwrap();
        rest.iter().fold(TreePath::root(GroupId(*first)), |p, id| {
            p.child(GroupId(*id))
        })
    }

    #[test]
    fn paths_spell_the_ids() {
        assert_eq!(path(&[1, 17, 342]).as_str(), "/a1/b17/c342/");
        assert_eq!(
            path(&[1, 17, 342]).ids(),
            vec![GroupId(1), GroupId(17), GroupId(342)]
        );
        assert_eq!(path(&[i64::MAX]).ids(), vec![GroupId(i64::MAX)]);
    }

    #[test]
    fn string_order_is_tree_order() {
        let mut paths = [
            path(&[1, 10]),
            path(&[1, 9, 100]),
            path(&[1, 9]),
            path(&[1]),
            path(&[1, 10, 2]),
        ];
        paths.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        let ids: Vec<Vec<GroupId>> = paths.iter().map(TreePath::ids).collect();
        let expected: Vec<Vec<GroupId>> = [
            vec![1],
            vec![1, 9],
            vec![1, 9, 100],
            vec![1, 10],
            vec![1, 10, 2],
        ]
        .into_iter()
        .map(|ids| ids.into_iter().map(GroupId).collect())
        .collect();
        assert_eq!(ids, expected);
    }

    #[test]
    fn subtree_range_holds_exactly_the_descendants() {
        let root = path(&[1, 17]);
        let end = root.subtree_end();
        let inside = [path(&[1, 17]), path(&[1, 17, 5]), path(&[1, 17, 5, 99999])];
        let outside = [
            path(&[1]),
            path(&[1, 1]),
            path(&[1, 18]),
            path(&[1, 170]),
            path(&[1, 99]),
            path(&[2]),
        ];
        for p in inside {
            assert!(
                p.as_str() >= root.as_str() && p.as_str() < end.as_str(),
                "{p} inside {root}"
            );
            assert!(root.contains(&p));
        }
        for p in outside {
            assert!(
                !(p.as_str() >= root.as_str() && p.as_str() < end.as_str()),
                "{p} outside {root}"
            );
            assert!(!root.contains(&p));
        }
    }
}
