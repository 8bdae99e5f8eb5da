//! Login reports: last login and status per user, and failed-login bursts in sliding windows.

use std::collections::{BTreeMap, HashMap};

/// Whether an event is a successful login.
pub fn is_login_success(action: &str, outcome: &str) -> bool {
    action == "authentication.login" && outcome == "success"
}

/// Whether an event is a failed authentication attempt (any step of it: login id, password,
/// one-time code, second factor).
pub fn is_login_failure(action: &str, outcome: &str) -> bool {
    action.starts_with("authentication.") && outcome == "failure"
}

/// Actions that make an account usable without a login.
pub const ACTIVATING_ACTIONS: &[&str] = &[
    "account.user.create",
    "account.user.reenable",
    "account.invitation.accept",
    "account.user.anonymous_promote",
];

/// The status of a user's logins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginStatus {
    /// An `account.lock` after the last successful login, with no `account.unlock` after it.
    Locked,
    /// The last authentication attempt failed (and the account is not locked).
    Failed,
    /// Logged in, and no attempt failed since.
    LoggedIn,
    /// Created, re-enabled or invited, and never attempted a login.
    Active,
    /// No login attempt and no activation in the archive.
    Never,
}

impl LoginStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LoginStatus::Locked => "Locked",
            LoginStatus::Failed => "Failed",
            LoginStatus::LoggedIn => "LoggedIn",
            LoginStatus::Active => "Active",
            LoginStatus::Never => "Never",
        }
    }
}

/// What the archive says of one user's logins (times in UTC microseconds).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserLogins {
    pub name: Option<String>,
    pub email: Option<String>,
    pub last_success: Option<i64>,
    pub last_failure: Option<i64>,
    /// Failed attempts after the last success.
    pub failures_since_success: u64,
    pub last_lock: Option<i64>,
    pub last_unlock: Option<i64>,
    pub activated: Option<i64>,
}

impl UserLogins {
    /// Takes one event of the user into account; events may come in any order.
    pub fn observe(&mut self, time: i64, action: &str, outcome: &str) {
        let later = |slot: &mut Option<i64>| {
            if slot.is_none_or(|t| time > t) {
                *slot = Some(time);
            }
        };
        if is_login_success(action, outcome) {
            later(&mut self.last_success);
        } else if is_login_failure(action, outcome) {
            later(&mut self.last_failure);
        } else if action == "account.lock" && outcome != "failure" {
            later(&mut self.last_lock);
        } else if action == "account.unlock" && outcome != "failure" {
            later(&mut self.last_unlock);
        } else if ACTIVATING_ACTIONS.contains(&action) && outcome != "failure" {
            later(&mut self.activated);
        }
    }

    pub fn status(&self) -> LoginStatus {
        let after_success =
            |t: Option<i64>| t.is_some_and(|t| self.last_success.is_none_or(|s| t > s));
        let locked = after_success(self.last_lock)
            && self.last_unlock.is_none_or(|u| Some(u) < self.last_lock);
        if locked {
            LoginStatus::Locked
        } else if after_success(self.last_failure) {
            LoginStatus::Failed
        } else if self.last_success.is_some() {
            LoginStatus::LoggedIn
        } else if self.activated.is_some() {
            LoginStatus::Active
        } else {
            LoginStatus::Never
        }
    }
}

/// Failures counted after the last success need every failure time; they are kept per user.
#[derive(Debug, Default)]
pub struct LastLogins {
    pub users: BTreeMap<String, UserLogins>,
    failures: HashMap<String, Vec<i64>>,
}

impl LastLogins {
    pub fn observe(&mut self, user: &str, time: i64, action: &str, outcome: &str) {
        let u = self.users.entry(user.to_string()).or_default();
        u.observe(time, action, outcome);
        if is_login_failure(action, outcome) {
            self.failures
                .entry(user.to_string())
                .or_default()
                .push(time);
        }
    }

    /// Fills `failures_since_success` and hands the users out, sorted by id.
    pub fn finish(mut self) -> BTreeMap<String, UserLogins> {
        for (user, u) in self.users.iter_mut() {
            let since = u.last_success.unwrap_or(i64::MIN);
            u.failures_since_success = self
                .failures
                .remove(user)
                .unwrap_or_default()
                .iter()
                .filter(|&&t| t > since)
                .count() as u64;
        }
        self.users
    }
}

/// A run of failures: at least `threshold` of them fit in one window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Burst {
    pub first: i64,
    pub last: i64,
    pub failures: usize,
}

/// Finds the bursts in failure times: every window `[t, t + window)` that holds at least
/// `threshold` failures qualifies, and qualifying windows that share a failure are merged into
/// one burst (from its first to its last failure).
pub fn bursts(times: &mut [i64], window: i64, threshold: usize) -> Vec<Burst> {
    times.sort_unstable();
    let threshold = threshold.max(1);
    let mut out = Vec::new();
    let mut current: Option<(usize, usize)> = None;
    let mut i = 0;
    for j in 0..times.len() {
        while times[j] - times[i] >= window {
            i += 1;
        }
        if j + 1 - i >= threshold {
            current = match current {
                Some((s, e)) if i <= e => Some((s, j)),
                Some((s, e)) => {
                    out.push(burst(times, s, e));
                    Some((i, j))
                }
                None => Some((i, j)),
            };
        }
    }
    if let Some((s, e)) = current {
        out.push(burst(times, s, e));
    }
    out
}

fn burst(times: &[i64], s: usize, e: usize) -> Burst {
    Burst {
        first: times[s],
        last: times[e],
        failures: e + 1 - s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000_000;

    #[test]
    fn threshold_minus_one_is_no_burst_and_threshold_is_one() {
        let mut four: Vec<i64> = (0..4).map(|k| k * MIN).collect();
        assert!(bursts(&mut four, 15 * MIN, 5).is_empty());
        let mut five: Vec<i64> = (0..5).map(|k| k * MIN).collect();
        assert_eq!(
            bursts(&mut five, 15 * MIN, 5),
            vec![Burst {
                first: 0,
                last: 4 * MIN,
                failures: 5
            }]
        );
    }

    #[test]
    fn window_edges_are_half_open() {
        // Five failures spanning exactly 15 minutes do not fit in [t, t + 15m).
        let mut edge = vec![0, MIN, 2 * MIN, 3 * MIN, 15 * MIN];
        assert!(bursts(&mut edge, 15 * MIN, 5).is_empty());
        // One microsecond less and they do.
        let mut inside = vec![0, MIN, 2 * MIN, 3 * MIN, 15 * MIN - 1];
        assert_eq!(bursts(&mut inside, 15 * MIN, 5).len(), 1);
    }

    #[test]
    fn overlapping_windows_merge_and_distant_ones_do_not() {
        let mut t: Vec<i64> = (0..8).map(|k| k * MIN).collect();
        t.extend((0..3).map(|k| 100 * MIN + k * MIN));
        t.extend((0..3).map(|k| 200 * MIN + k * MIN));
        let b = bursts(&mut t, 10 * MIN, 3);
        assert_eq!(
            b,
            vec![
                Burst {
                    first: 0,
                    last: 7 * MIN,
                    failures: 8
                },
                Burst {
                    first: 100 * MIN,
                    last: 102 * MIN,
                    failures: 3
                },
                Burst {
                    first: 200 * MIN,
                    last: 202 * MIN,
                    failures: 3
                },
            ]
        );
    }

    fn user(events: &[(i64, &str, &str)]) -> LoginStatus {
        let mut u = UserLogins::default();
        for (t, a, o) in events {
            u.observe(*t, a, o);
        }
        u.status()
    }

    #[test]
    fn statuses() {
        use LoginStatus::*;
        let ok = "authentication.login";
        let pw = "authentication.primary.password";
        assert_eq!(user(&[]), Never);
        assert_eq!(user(&[(1, "account.profile.update", "success")]), Never);
        assert_eq!(user(&[(1, "account.user.create", "success")]), Active);
        assert_eq!(user(&[(1, ok, "success")]), LoggedIn);
        assert_eq!(user(&[(1, ok, "success"), (2, pw, "failure")]), Failed);
        assert_eq!(user(&[(2, ok, "success"), (1, pw, "failure")]), LoggedIn);
        assert_eq!(user(&[(1, pw, "failure")]), Failed);
        assert_eq!(
            user(&[
                (1, ok, "success"),
                (2, pw, "failure"),
                (3, "account.lock", "success")
            ]),
            Locked
        );
        assert_eq!(
            user(&[
                (2, "account.lock", "success"),
                (3, "account.unlock", "success")
            ]),
            Never
        );
        assert_eq!(
            user(&[(1, "account.lock", "success"), (2, ok, "success")]),
            LoggedIn
        );
        assert_eq!(
            user(&[
                (3, "account.lock", "success"),
                (2, "account.unlock", "success")
            ]),
            Locked
        );
    }
}
