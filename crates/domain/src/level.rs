use serde::{Deserialize, Serialize};

/// Where a group stands in the hierarchy. Distributor is the highest level, Site the lowest.
///
/// Deliberately not `Ord`: "greater" is ambiguous for levels, so comparisons go through
/// [`Level::is_above`] and [`Level::may_parent`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Level {
    Distributor,
    SubDistributor,
    Reseller,
    EndCustomer,
    Site,
}

impl Level {
    /// Every level, highest first.
    pub const ALL: [Level; 5] = [
        Level::Distributor,
        Level::SubDistributor,
        Level::Reseller,
        Level::EndCustomer,
        Level::Site,
    ];

    /// 1 for Distributor down to 5 for Site: the value kept in the database, so that
    /// "child lower than parent" is a plain integer comparison in SQL too.
    pub const fn rank(self) -> i32 {
        match self {
            Level::Distributor => 1,
            Level::SubDistributor => 2,
            Level::Reseller => 3,
            Level::EndCustomer => 4,
            Level::Site => 5,
        }
    }

    pub fn from_rank(rank: i32) -> Option<Level> {
        Level::ALL.into_iter().find(|level| level.rank() == rank)
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Distributor => "distributor",
            Level::SubDistributor => "sub_distributor",
            Level::Reseller => "reseller",
            Level::EndCustomer => "end_customer",
            Level::Site => "site",
        }
    }

    /// The level's name as the manual writes it.
    pub const fn label(self) -> &'static str {
        match self {
            Level::Distributor => "Distributor",
            Level::SubDistributor => "Sub-distributor",
            Level::Reseller => "Reseller",
            Level::EndCustomer => "End-customer",
            Level::Site => "Site",
        }
    }

    pub fn parse(text: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|level| level.as_str() == text)
    }

    /// True when `self` is strictly higher in the hierarchy than `other`.
    pub const fn is_above(self, other: Level) -> bool {
        self.rank() < other.rank()
    }

    /// The child rule: a child is strictly lower than its parent; levels may be skipped,
    /// and so a Site, the lowest level, can have no children at all.
    pub const fn may_parent(self, child: Level) -> bool {
        self.is_above(child)
    }

    /// The next level down, if any (used by the seed generator to build a tree level by level).
    pub fn next_lower(self) -> Option<Level> {
        Level::from_rank(self.rank() + 1)
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Level::{self, *};

    /// All 25 parent/child pairs, written out: `true` where the child may live under the parent.
    #[test]
    fn child_rule_for_every_pair() {
        let expected: [(Level, Level, bool); 25] = [
            (Distributor, Distributor, false),
            (Distributor, SubDistributor, true),
            (Distributor, Reseller, true),
            (Distributor, EndCustomer, true),
            (Distributor, Site, true),
            (SubDistributor, Distributor, false),
            (SubDistributor, SubDistributor, false),
            (SubDistributor, Reseller, true),
            (SubDistributor, EndCustomer, true),
            (SubDistributor, Site, true),
            (Reseller, Distributor, false),
            (Reseller, SubDistributor, false),
            (Reseller, Reseller, false),
            (Reseller, EndCustomer, true),
            (Reseller, Site, true),
            (EndCustomer, Distributor, false),
            (EndCustomer, SubDistributor, false),
            (EndCustomer, Reseller, false),
            (EndCustomer, EndCustomer, false),
            (EndCustomer, Site, true),
            (Site, Distributor, false),
            (Site, SubDistributor, false),
            (Site, Reseller, false),
            (Site, EndCustomer, false),
            (Site, Site, false),
        ];
        for (parent, child, allowed) in expected {
            assert_eq!(
                parent.may_parent(child),
                allowed,
                "{parent} may parent {child}"
            );
        }
    }

    #[test]
    fn site_has_no_children() {
        assert!(Level::ALL.iter().all(|child| !Site.may_parent(*child)));
    }

    #[test]
    fn ranks_and_names_round_trip() {
        for level in Level::ALL {
            assert_eq!(Level::from_rank(level.rank()), Some(level));
            assert_eq!(Level::parse(level.as_str()), Some(level));
        }
        assert_eq!(Level::from_rank(0), None);
        assert_eq!(Level::from_rank(6), None);
        assert_eq!(Level::parse("Distributor"), None);
    }

    #[test]
    fn next_lower_walks_the_hierarchy() {
        assert_eq!(Distributor.next_lower(), Some(SubDistributor));
        assert_eq!(EndCustomer.next_lower(), Some(Site));
        assert_eq!(Site.next_lower(), None);
    }
}
