//! Login attempts per source address. The account lockout stops guessing at one account; this
//! stops one source from guessing at many (and from locking every account it can name): past
//! `auth.login_attempts_per_minute` attempts a minute (with as many at once), a source is
//! answered 429 with `Retry-After` until its allowance refills. Every attempt counts, a right
//! password too: the allowance is sized for people typing, and API clients log in once and keep
//! their token. IPv6 sources are counted by their /64, which one client usually holds whole.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// The allowance of every source address, kept in memory (per server: replicas count apart).
#[derive(Debug)]
pub struct LoginThrottle {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

impl LoginThrottle {
    pub fn new(per_minute: NonZeroU32) -> LoginThrottle {
        LoginThrottle {
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one attempt from `source`; `Err(wait)` when its allowance is spent (nothing else
    /// is checked then, so a refused attempt costs no password hash).
    pub fn attempt(&self, source: IpAddr) -> Result<(), Duration> {
        self.limiter
            .check_key(&source_key(source))
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Forgets the sources whose allowance is whole again (the ticker calls it), so the map holds
    /// only recent ones.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// What a source is counted as: an IPv4 address (an IPv4-mapped IPv6 one too), or an IPv6 /64.
fn source_key(source: IpAddr) -> IpAddr {
    match source {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_gets_its_allowance_then_waits() {
        let throttle = LoginThrottle::new(NonZeroU32::new(3).unwrap_or(NonZeroU32::MIN));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert!(throttle.attempt(a).is_ok());
        }
        let wait = throttle.attempt(a).unwrap_err();
        // Three a minute: the next one is 20 s after the first.
        assert!(
            wait > Duration::from_secs(15) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert!(throttle.attempt(b).is_ok(), "other sources keep theirs");
    }

    #[test]
    fn ipv6_sources_count_by_their_64_and_mapped_ipv4_as_ipv4() {
        let throttle = LoginThrottle::new(NonZeroU32::MIN);
        assert!(throttle.attempt("2001:db8:1:2::1".parse().unwrap()).is_ok());
        assert!(
            throttle
                .attempt("2001:db8:1:2:ffff::9".parse().unwrap())
                .is_err()
        );
        assert!(throttle.attempt("2001:db8:1:3::1".parse().unwrap()).is_ok());
        assert!(throttle.attempt("10.0.0.1".parse().unwrap()).is_ok());
        assert!(
            throttle
                .attempt("::ffff:10.0.0.1".parse().unwrap())
                .is_err()
        );
    }
}
