//! The people and places of generated logs: users with names, emails, logins, browsers and
//! tenants; the address pool; resources. Strings a line needs are precomputed or written by index.

use super::text::{mix64, push_u64, push_u64_pad};

const FIRST: &[&str] = &[
    "Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Karim",
    "Laura", "Mallory", "Nadia", "Oscar", "Priya", "Quentin", "Rosa", "Sven", "Tara", "Umar",
    "Vera", "Walter", "Xia", "Yusuf", "Zoe", "Amir", "Beatriz", "Chen", "Dmitri", "Elena",
    "Fatima", "Goran", "Hana", "Ines", "Jonas", "Keiko", "Luca", "Maya", "Nils",
];
const LAST: &[&str] = &[
    "Martin", "Chen", "Diaz", "Okafor", "Walsh", "Nair", "Muller", "Rossi", "Kowalski", "Silva",
    "Haddad", "Tanaka", "Novak", "Dubois", "Larsen", "Garcia", "Kim", "Singh", "Cohen", "Popescu",
    "Fischer", "Moreau", "Jensen", "Costa", "Ivanova", "Yilmaz", "Nguyen", "Brown", "Schmidt",
    "Lopez",
];
pub const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 15; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
    "acme-cli/2.4.1 (linux; amd64) go1.23.3",
];
pub const TENANTS: &[&str] = &["acme", "globex", "initech", "umbrella", "hooli"];
const GEO: &[&str] = &[
    "FR", "DE", "US", "GB", "NL", "IN", "BR", "JP", "SG", "ES", "PL", "CA",
];
/// First octets of the public part of the address pool.
const PUBLIC_OCTETS: &[u8] = &[
    23, 31, 45, 62, 77, 81, 85, 91, 103, 109, 141, 151, 176, 178, 185, 188, 193, 195, 203, 212, 217,
];
/// Logins password guessers try that belong to nobody.
pub const GUESSED_LOGINS: &[&str] = &[
    "admin", "root", "oracle", "test", "ubuntu", "postgres", "git", "user", "support", "deploy",
];

/// One user's strings.
#[derive(Debug, Clone)]
pub struct User {
    /// `u-00042`
    pub id: String,
    /// `Alice Martin`
    pub name: String,
    /// `alice.martin42@example.com`
    pub email: String,
    /// `amartin42`: the Unix login (sshd) and logfmt `user`.
    pub login: String,
    pub ua: &'static str,
    pub tenant: &'static str,
    pub uid: u32,
}

/// The users of a generated log.
#[derive(Debug)]
pub struct People {
    users: Vec<User>,
}

impl People {
    pub fn new(count: u32) -> People {
        let width = (count.max(1) - 1).to_string().len().max(5);
        let users = (0..count.max(1))
            .map(|u| {
                let h = mix64(u as u64);
                let first = FIRST[u as usize % FIRST.len()];
                let last = LAST[(u as usize / FIRST.len() + h as usize) % LAST.len()];
                let lf = first.to_ascii_lowercase();
                let ll = last.to_ascii_lowercase();
                User {
                    id: format!("u-{u:0width$}"),
                    name: format!("{first} {last}"),
                    email: format!("{lf}.{ll}{u}@example.com"),
                    login: format!("{}{ll}{u}", &lf[..1]),
                    ua: USER_AGENTS[(h >> 8) as usize % USER_AGENTS.len()],
                    // Most users belong to the first tenant.
                    tenant: TENANTS[if (h >> 16) % 10 < 6 {
                        0
                    } else {
                        (h >> 20) as usize % TENANTS.len()
                    }],
                    uid: 1000 + u,
                }
            })
            .collect();
        People { users }
    }

    pub fn get(&self, u: u32) -> &User {
        &self.users[u as usize % self.users.len()]
    }
}

/// Writes address `idx` of the pool: a fifth are internal (10.0.0.0/8), the rest public.
pub fn push_ip(out: &mut Vec<u8>, idx: u32) {
    let h = mix64(idx as u64 ^ 0x0add_7e55);
    let first = if h % 5 == 0 {
        10
    } else {
        PUBLIC_OCTETS[((h >> 4) % PUBLIC_OCTETS.len() as u64) as usize]
    };
    push_u64(out, first as u64);
    out.push(b'.');
    push_u64(out, (h >> 12) & 0xff);
    out.push(b'.');
    push_u64(out, (h >> 20) & 0xff);
    out.push(b'.');
    push_u64(out, 1 + (h >> 28) % 254);
}

/// The country an address is in.
pub fn geo(idx: u32) -> &'static str {
    GEO[(mix64(idx as u64 ^ 0x6e0) % GEO.len() as u64) as usize]
}

/// A session id: `s-<user hex>-<n>`.
pub fn push_session(out: &mut Vec<u8>, user: u32, session: u32) {
    out.extend_from_slice(b"s-");
    super::text::push_hex(out, user as u64, 5);
    out.push(b'-');
    push_u64(out, session as u64);
}

/// A source port: an ephemeral port that depends on the fact.
pub fn port(n: u64) -> u64 {
    32768 + mix64(n ^ 0x9027) % 28000
}

/// `prefix` then a zero-padded number: `doc-004211`.
pub fn push_ref(out: &mut Vec<u8>, prefix: &str, n: u64, width: usize) {
    out.extend_from_slice(prefix.as_bytes());
    push_u64_pad(out, n, width);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_distinct_and_stable() {
        let p = People::new(2000);
        let ids: std::collections::HashSet<_> = (0..2000).map(|u| p.get(u).id.clone()).collect();
        let emails: std::collections::HashSet<_> =
            (0..2000).map(|u| p.get(u).email.clone()).collect();
        let logins: std::collections::HashSet<_> =
            (0..2000).map(|u| p.get(u).login.clone()).collect();
        assert_eq!((ids.len(), emails.len(), logins.len()), (2000, 2000, 2000));
        assert_eq!(p.get(42).id, "u-00042");
        assert_eq!(People::new(2000).get(42).email, p.get(42).email);
        assert_eq!(People::new(200_000).get(7).id, "u-000007");
    }

    #[test]
    fn addresses_are_valid_and_spread() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..5000 {
            let mut out = Vec::new();
            push_ip(&mut out, i);
            let s = String::from_utf8(out).unwrap();
            let ip: std::net::Ipv4Addr = s.parse().unwrap();
            assert!(
                !ip.is_loopback() && !ip.is_unspecified() && !ip.is_multicast(),
                "{s}"
            );
            seen.insert(s);
        }
        assert!(seen.len() > 4900, "{}", seen.len());
        let internal = seen.iter().filter(|s| s.starts_with("10.")).count();
        assert!((700..1300).contains(&internal), "{internal}");
    }
}
