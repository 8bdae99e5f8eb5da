//! What happens, independent of how it is written: the kinds of activity and their mix, the
//! people and addresses, the clock, and the planner that draws one [`Fact`] after another.

use super::text::mix64;

/// The formats the generator writes: one per built-in profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    AuditlakeJson,
    IdpJson,
    AssetJson,
    Sshd,
    LogfmtApp,
}

impl Profile {
    pub const ALL: [Profile; 5] = [
        Profile::AuditlakeJson,
        Profile::IdpJson,
        Profile::AssetJson,
        Profile::Sshd,
        Profile::LogfmtApp,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Profile::AuditlakeJson => "auditlake-json",
            Profile::IdpJson => "idp-json",
            Profile::AssetJson => "asset-json",
            Profile::Sshd => "sshd",
            Profile::LogfmtApp => "logfmt-app",
        }
    }

    pub fn parse(name: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Whether this application logs activity of `kind`.
    pub fn writes(self, kind: Kind) -> bool {
        use Kind::*;
        match self {
            Profile::AuditlakeJson => kind != Noise,
            Profile::IdpJson => matches!(
                kind,
                Login
                    | Mfa
                    | Logout
                    | SessionExpire
                    | CredentialRegister
                    | CredentialUse
                    | CredentialDelete
                    | PasswordChange
                    | PasswordReset
                    | ProfileUpdate
                    | RoleChange
                    | Email
                    | Burst
            ),
            Profile::AssetJson => matches!(
                kind,
                ResourceCreate
                    | ResourceUpdate
                    | ResourceDelete
                    | Assign
                    | SecretView
                    | Export
                    | SettingsChange
            ),
            Profile::Sshd => matches!(kind, Login | Logout | Burst | Noise),
            Profile::LogfmtApp => matches!(
                kind,
                Login
                    | Logout
                    | PasswordChange
                    | Export
                    | RoleChange
                    | SettingsChange
                    | Burst
                    | Noise
            ),
        }
    }
}

/// A kind of activity, each written by a profile in its own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Login,
    Mfa,
    Logout,
    SessionExpire,
    ResourceCreate,
    ResourceUpdate,
    ResourceDelete,
    Assign,
    SecretView,
    Export,
    CredentialRegister,
    CredentialUse,
    CredentialDelete,
    PasswordChange,
    PasswordReset,
    ProfileUpdate,
    RoleChange,
    SettingsChange,
    Email,
    /// Repeated failed logins from one address against one account, then (where the
    /// application locks accounts) a lockout.
    Burst,
    /// Lines that are not audit events (diagnostics, request logs, health checks, cron).
    Noise,
}

impl Kind {
    pub const ALL: [Kind; 21] = [
        Kind::Login,
        Kind::Mfa,
        Kind::Logout,
        Kind::SessionExpire,
        Kind::ResourceCreate,
        Kind::ResourceUpdate,
        Kind::ResourceDelete,
        Kind::Assign,
        Kind::SecretView,
        Kind::Export,
        Kind::CredentialRegister,
        Kind::CredentialUse,
        Kind::CredentialDelete,
        Kind::PasswordChange,
        Kind::PasswordReset,
        Kind::ProfileUpdate,
        Kind::RoleChange,
        Kind::SettingsChange,
        Kind::Email,
        Kind::Burst,
        Kind::Noise,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Login => "login",
            Kind::Mfa => "mfa",
            Kind::Logout => "logout",
            Kind::SessionExpire => "session-expire",
            Kind::ResourceCreate => "resource-create",
            Kind::ResourceUpdate => "resource-update",
            Kind::ResourceDelete => "resource-delete",
            Kind::Assign => "assign",
            Kind::SecretView => "secret-view",
            Kind::Export => "export",
            Kind::CredentialRegister => "credential-register",
            Kind::CredentialUse => "credential-use",
            Kind::CredentialDelete => "credential-delete",
            Kind::PasswordChange => "password-change",
            Kind::PasswordReset => "password-reset",
            Kind::ProfileUpdate => "profile-update",
            Kind::RoleChange => "role-change",
            Kind::SettingsChange => "settings-change",
            Kind::Email => "email",
            Kind::Burst => "burst",
            Kind::Noise => "noise",
        }
    }

    /// Weight per thousand in the default mix: logins dominate, then sessions, MFA and resource
    /// changes; exports, credential and account changes are rare; a few password-guessing bursts.
    pub fn default_weight(self) -> u32 {
        match self {
            Kind::Login => 330,
            Kind::Mfa => 90,
            Kind::Logout => 90,
            Kind::SessionExpire => 25,
            Kind::ResourceCreate => 30,
            Kind::ResourceUpdate => 110,
            Kind::ResourceDelete => 8,
            Kind::Assign => 15,
            Kind::SecretView => 8,
            Kind::Export => 12,
            Kind::CredentialRegister => 2,
            Kind::CredentialUse => 45,
            Kind::CredentialDelete => 1,
            Kind::PasswordChange => 6,
            Kind::PasswordReset => 4,
            Kind::ProfileUpdate => 12,
            Kind::RoleChange => 3,
            Kind::SettingsChange => 3,
            Kind::Email => 40,
            Kind::Burst => 6,
            Kind::Noise => 60,
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Authentication steps fail at the failure rate; other actions are denied five times less.
    fn is_authentication(self) -> bool {
        matches!(self, Kind::Login | Kind::Mfa | Kind::CredentialUse)
    }

    fn can_fail(self) -> bool {
        self.is_authentication()
            || matches!(
                self,
                Kind::ResourceCreate
                    | Kind::ResourceUpdate
                    | Kind::ResourceDelete
                    | Kind::SecretView
                    | Kind::Export
                    | Kind::PasswordChange
            )
    }
}

/// The weighted mix of kinds a profile draws from.
#[derive(Debug, Clone)]
pub struct Mix {
    /// (kind, cumulative weight), only kinds of positive weight.
    table: Vec<(Kind, u32)>,
    total: u32,
}

impl Mix {
    /// The default weights changed by `items` (`KIND=WEIGHT`; a leading `none` clears every
    /// default first), keeping the kinds `profile` writes.
    pub fn new(profile: Profile, items: &[String]) -> Result<Mix, String> {
        let mut weights: Vec<(Kind, u32)> =
            Kind::ALL.iter().map(|k| (*k, k.default_weight())).collect();
        for (i, item) in items.iter().enumerate() {
            let item = item.trim();
            if item == "none" && i == 0 {
                weights.iter_mut().for_each(|w| w.1 = 0);
                continue;
            }
            let (name, weight) = item
                .split_once('=')
                .ok_or_else(|| format!("--mix {item:?}: expected KIND=WEIGHT"))?;
            let kind = Kind::parse(name.trim()).ok_or_else(|| {
                format!(
                    "--mix {item:?}: unknown kind {name:?}; kinds: {}",
                    Kind::ALL.map(Kind::name).join(", ")
                )
            })?;
            let weight: u32 = weight
                .trim()
                .parse()
                .map_err(|_| format!("--mix {item:?}: the weight is not a whole number"))?;
            if weight > 1_000_000 {
                return Err(format!("--mix {item:?}: weights go up to 1000000"));
            }
            if weight > 0 && !profile.writes(kind) {
                return Err(format!(
                    "--mix {item:?}: profile {} does not write {name}; it writes {}",
                    profile.name(),
                    Kind::ALL
                        .into_iter()
                        .filter(|k| profile.writes(*k))
                        .map(Kind::name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            weights.iter_mut().find(|w| w.0 == kind).unwrap().1 = weight;
        }
        let mut table = Vec::new();
        let mut total = 0u32;
        for (kind, w) in weights {
            if w > 0 && profile.writes(kind) {
                total += w;
                table.push((kind, total));
            }
        }
        if total == 0 {
            return Err(format!(
                "--mix leaves nothing that profile {} writes",
                profile.name()
            ));
        }
        Ok(Mix { table, total })
    }

    fn pick(&self, r: u32) -> Kind {
        let x = r % self.total;
        let i = self.table.partition_point(|(_, c)| *c <= x);
        self.table[i].0
    }

    /// Each kind of the mix with its share.
    #[cfg(test)]
    pub fn shares(&self) -> Vec<(Kind, f64)> {
        let mut prev = 0;
        self.table
            .iter()
            .map(|(k, c)| {
                let s = (*c - prev) as f64 / self.total as f64;
                prev = *c;
                (*k, s)
            })
            .collect()
    }
}

/// Activity by hour of day (UTC), relative: busy working hours, quiet nights.
const HOUR_WEIGHTS: [f64; 24] = [
    2.0, 1.5, 1.0, 1.0, 1.0, 1.5, 3.0, 6.0, 10.0, 12.0, 12.0, 11.0, 9.0, 10.0, 12.0, 11.0, 10.0,
    8.0, 6.0, 5.0, 4.0, 3.5, 3.0, 2.5,
];
/// Saturdays and Sundays see this share of a weekday's activity.
const WEEKEND: f64 = 0.3;
const HOUR_US: i64 = 3_600_000_000;

/// Spreads `lines` lines over `days` days from `start_us`, following the daily and weekly
/// rhythm; times never go backwards.
#[derive(Debug)]
pub struct Spread {
    start_us: i64,
    lines: u64,
    /// Cumulative weight at the end of each hour.
    cum: Vec<f64>,
    hour: usize,
}

impl Spread {
    pub fn new(start_us: i64, days: u32, lines: u64) -> Spread {
        let mut cum = Vec::with_capacity(days as usize * 24);
        let mut acc = 0.0;
        for h in 0..days as i64 * 24 {
            let t = start_us + h * HOUR_US;
            let day = t.div_euclid(24 * HOUR_US);
            // 1970-01-01 was a Thursday: day 2 and 3 of the week (from Thursday) are the weekend.
            let weekend = matches!(day.rem_euclid(7), 2 | 3);
            let hour_of_day = (t.div_euclid(HOUR_US)).rem_euclid(24) as usize;
            acc += HOUR_WEIGHTS[hour_of_day] * if weekend { WEEKEND } else { 1.0 };
            cum.push(acc);
        }
        Spread {
            start_us,
            lines: lines.max(1),
            cum,
            hour: 0,
        }
    }

    /// The time of line `i` (call with increasing `i`): somewhere in the line's share of the
    /// span, so that times look measured rather than evenly spaced.
    pub fn at(&mut self, i: u64) -> i64 {
        let total = *self.cum.last().unwrap_or(&1.0);
        let jitter = (mix64(i ^ 0x7135) >> 11) as f64 / (1u64 << 53) as f64;
        let target = (i as f64 + jitter) / self.lines as f64 * total;
        while self.hour + 1 < self.cum.len() && self.cum[self.hour] <= target {
            self.hour += 1;
        }
        let before = if self.hour == 0 {
            0.0
        } else {
            self.cum[self.hour - 1]
        };
        let width = self.cum[self.hour] - before;
        let frac = ((target - before) / width).clamp(0.0, 0.999_999);
        self.start_us + self.hour as i64 * HOUR_US + (frac * HOUR_US as f64) as i64
    }
}

/// One thing that happened: who, from where, to what, with what outcome. Profiles write it as
/// one or more lines.
#[derive(Debug, Clone, Copy)]
pub struct Fact {
    pub kind: Kind,
    /// Ordinal of the fact, for ids.
    pub n: u64,
    pub time_us: i64,
    pub user: u32,
    /// Index of the source address in the address pool.
    pub ip: u32,
    pub ok: bool,
    /// The user's current session number.
    pub session: u32,
    /// The resource, report, license or asset concerned (an index).
    pub object: u32,
    /// A second user: the new owner, the user whose role changes.
    pub other: u32,
    /// A random word that picks among a kind's variants.
    pub r: u64,
    /// Burst: attempts.
    pub count: u32,
    /// Burst: the login tried does not exist (a name such as `admin` or `oracle`).
    pub unknown_user: bool,
}

/// Everything the planner needs to know about the population.
#[derive(Debug, Clone)]
pub struct Population {
    pub users: u32,
    pub ips: u32,
    pub failure_rate: f64,
}

impl Population {
    /// Addresses users come from (the rest of the pool belongs to password guessers).
    fn home_ips(&self) -> u32 {
        (self.ips - self.ips / 50).max(1)
    }

    fn attacker_ip(&self, r: u64) -> u32 {
        let attackers = self.ips / 50;
        if attackers == 0 {
            (r % self.ips as u64) as u32
        } else {
            self.home_ips() + (r % attackers as u64) as u32
        }
    }

    /// A user's usual address.
    fn home_ip(&self, user: u32) -> u32 {
        (mix64(user as u64 ^ 0x5eed) % self.home_ips() as u64) as u32
    }
}

/// Draws facts: picks a kind from the mix, a user (a few users are much busier than most),
/// an address (usually the user's own), an outcome; bursts of failures come as one fact.
#[derive(Debug)]
pub struct Planner {
    rng: fastrand::Rng,
    mix: Mix,
    pop: Population,
    sessions: Vec<u32>,
    n: u64,
    /// Multiplier that spreads the busiest user indexes over the id range.
    stride: u64,
}

impl Planner {
    pub fn new(seed: u64, mix: Mix, pop: Population) -> Planner {
        let users = pop.users.max(1) as u64;
        let stride = [7919u64, 104_729, 1_299_709, 15_485_863]
            .into_iter()
            .find(|p| users % p != 0)
            .unwrap_or(1);
        Planner {
            rng: fastrand::Rng::with_seed(seed),
            mix,
            sessions: vec![0; users as usize],
            pop,
            n: 0,
            stride,
        }
    }

    fn user(&mut self) -> u32 {
        let users = self.pop.users.max(1) as u64;
        let x = self.rng.f64();
        // Density falls with the index: the busiest tenth of users make about a third of events.
        let i = ((x * x * users as f64) as u64).min(users - 1);
        ((i * self.stride) % users) as u32
    }

    /// The next fact at `time_us`.
    pub fn next(&mut self, time_us: i64) -> Fact {
        let kind = self.mix.pick(self.rng.u32(..));
        let user = self.user();
        let r = self.rng.u64(..);
        let roaming = self.rng.f64() < 0.12;
        let ip = if roaming {
            self.rng.u32(..self.pop.home_ips())
        } else {
            self.pop.home_ip(user)
        };
        let rate = if kind.is_authentication() {
            self.pop.failure_rate
        } else {
            self.pop.failure_rate / 5.0
        };
        let ok = !(kind.can_fail() && self.rng.f64() < rate);
        let other = self.user();
        let object = self.rng.u32(..);
        self.n += 1;
        let mut f = Fact {
            kind,
            n: self.n,
            time_us,
            user,
            ip,
            ok,
            session: 0,
            object,
            other,
            r,
            count: 1,
            unknown_user: false,
        };
        match kind {
            Kind::Login if ok => {
                self.sessions[user as usize] += 1;
            }
            Kind::Burst => {
                f.ok = false;
                f.ip = self.pop.attacker_ip(r);
                f.count = self.rng.u32(3..=12);
                f.unknown_user = self.rng.f64() < 0.4;
            }
            _ => {}
        }
        f.session = self.sessions[user as usize];
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pop() -> Population {
        Population {
            users: 100,
            ips: 1000,
            failure_rate: 0.1,
        }
    }

    #[test]
    fn mix_changes_defaults_and_keeps_what_the_profile_writes() {
        let m = Mix::new(Profile::Sshd, &[]).unwrap();
        let kinds: Vec<Kind> = m.shares().into_iter().map(|s| s.0).collect();
        assert_eq!(
            kinds,
            vec![Kind::Login, Kind::Logout, Kind::Burst, Kind::Noise]
        );
        let m = Mix::new(
            Profile::AuditlakeJson,
            &["none".into(), "login=3".into(), "export=1".into()],
        )
        .unwrap();
        assert_eq!(m.shares(), vec![(Kind::Login, 0.75), (Kind::Export, 0.25)]);
        let m = Mix::new(Profile::AuditlakeJson, &["login=0".into()]).unwrap();
        assert!(m.shares().iter().all(|s| s.0 != Kind::Login));
        let total: f64 = m.shares().iter().map(|s| s.1).sum();
        assert!((total - 1.0).abs() < 1e-9);
    }

    #[test]
    fn mix_errors_name_the_item() {
        let e = Mix::new(Profile::AuditlakeJson, &["teleport=3".into()]).unwrap_err();
        assert!(e.contains("teleport") && e.contains("login"), "{e}");
        let e = Mix::new(Profile::AuditlakeJson, &["login".into()]).unwrap_err();
        assert!(e.contains("KIND=WEIGHT"), "{e}");
        let e = Mix::new(Profile::AuditlakeJson, &["login=x".into()]).unwrap_err();
        assert!(e.contains("whole number"), "{e}");
        let e = Mix::new(Profile::AssetJson, &["login=5".into()]).unwrap_err();
        assert!(
            e.contains("asset-json") && e.contains("resource-update"),
            "{e}"
        );
        let e = Mix::new(Profile::Sshd, &["none".into(), "noise=0".into()]).unwrap_err();
        assert!(e.contains("nothing"), "{e}");
    }

    #[test]
    fn picks_follow_the_weights() {
        let m = Mix::new(
            Profile::AuditlakeJson,
            &["none".into(), "login=9".into(), "burst=1".into()],
        )
        .unwrap();
        let mut rng = fastrand::Rng::with_seed(1);
        let logins = (0..100_000)
            .filter(|_| m.pick(rng.u32(..)) == Kind::Login)
            .count();
        assert!((89_000..91_000).contains(&logins), "{logins}");
    }

    #[test]
    fn spread_is_monotonic_within_range_and_busier_by_day() {
        let start = 1_793_491_200_000_000; // 2026-11-01, a Sunday
        let lines = 100_000;
        let mut s = Spread::new(start, 7, lines);
        let mut prev = i64::MIN;
        let mut per_hour = [0u32; 24];
        for i in 0..lines {
            let t = s.at(i);
            assert!(t >= prev && t >= start && t < start + 7 * 24 * HOUR_US);
            prev = t;
            per_hour[((t - start) / HOUR_US % 24) as usize] += 1;
        }
        assert!(per_hour[10] > 4 * per_hour[3], "{per_hour:?}");
        // Sunday (the first day) is quieter than Monday.
        let mut s = Spread::new(start, 7, lines);
        let (sun, mon) = (0..lines).map(|i| s.at(i)).fold((0, 0), |(a, b), t| {
            match (t - start) / (24 * HOUR_US) {
                0 => (a + 1, b),
                1 => (a, b + 1),
                _ => (a, b),
            }
        });
        assert!(mon > 2 * sun, "{sun} {mon}");
    }

    #[test]
    fn planner_is_deterministic_and_realistic() {
        let mix = Mix::new(Profile::AuditlakeJson, &[]).unwrap();
        let draw = |seed| {
            let mut p = Planner::new(seed, mix.clone(), pop());
            (0..20_000).map(|i| p.next(i)).collect::<Vec<_>>()
        };
        let a = draw(3);
        let b = draw(3);
        assert!(
            a.iter()
                .zip(&b)
                .all(|(x, y)| x.user == y.user && x.kind == y.kind && x.ip == y.ip && x.ok == y.ok)
        );
        assert!(draw(4).iter().zip(&a).any(|(x, y)| x.user != y.user));
        let logins: Vec<_> = a.iter().filter(|f| f.kind == Kind::Login).collect();
        let failed = logins.iter().filter(|f| !f.ok).count() as f64 / logins.len() as f64;
        assert!((0.07..0.13).contains(&failed), "{failed}");
        let bursts: Vec<_> = a.iter().filter(|f| f.kind == Kind::Burst).collect();
        assert!(!bursts.is_empty());
        assert!(bursts.iter().all(|f| !f.ok && (3..=12).contains(&f.count)));
        // Guessers come from their own part of the pool, users mostly from their own address.
        let home = pop().home_ips();
        assert!(bursts.iter().all(|f| f.ip >= home));
        let at_home = a
            .iter()
            .filter(|f| f.kind != Kind::Burst && f.ip == pop().home_ip(f.user))
            .count();
        assert!(at_home as f64 > 0.8 * (a.len() - bursts.len()) as f64);
        // Some users are much busier than others.
        let mut per_user = vec![0u32; 100];
        a.iter().for_each(|f| per_user[f.user as usize] += 1);
        per_user.sort();
        assert!(per_user[99] > 5 * per_user[10].max(1), "{per_user:?}");
        // A successful login opens a new session.
        let mut p = Planner::new(
            1,
            Mix::new(Profile::AuditlakeJson, &["none".into(), "login=1".into()]).unwrap(),
            pop(),
        );
        let fs: Vec<Fact> = (0..500).map(|i| p.next(i)).collect();
        let u = fs[0].user;
        let mine: Vec<_> = fs.iter().filter(|f| f.user == u && f.ok).collect();
        assert!(mine.windows(2).all(|w| w[1].session == w[0].session + 1));
    }
}
