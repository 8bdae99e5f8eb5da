//! Addresses as applications write them.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::error::{FilterError, Result};

/// The textual forms applications write an address in: RFC 5952 (`2001:db8::5`), uncompressed
/// as Java prints it (`2001:db8:0:0:0:0:0:5`), fully zero-padded, each also in upper case; an
/// IPv4 address also as IPv4-mapped IPv6 (`::ffff:192.0.2.1`), as dual-stack servers log it.
pub fn address_forms(ip: IpAddr) -> Vec<String> {
    let ip = unmap(ip);
    let mut forms = vec![ip.to_string()];
    match ip {
        IpAddr::V4(v4) => {
            forms.push(format!("::ffff:{v4}"));
            forms.push(format!("::FFFF:{v4}"));
        }
        IpAddr::V6(v6) => {
            let seg = v6.segments();
            let join = |f: &dyn Fn(u16) -> String| seg.map(f).join(":");
            forms.push(join(&|x| format!("{x:x}")));
            forms.push(join(&|x| format!("{x:04x}")));
            let upper: Vec<String> = forms.iter().map(|f| f.to_uppercase()).collect();
            forms.extend(upper);
        }
    }
    forms.sort();
    forms.dedup();
    forms
}

/// An address in one form whatever form it was written in (see [`address_forms`]): RFC 5952,
/// an IPv4-mapped address as IPv4. `None` when `s` is not an address.
pub fn canonical_address(s: &str) -> Option<String> {
    s.parse::<IpAddr>().ok().map(|ip| unmap(ip).to_string())
}

/// An IPv4-mapped IPv6 address as the IPv4 address it carries; any other as it is.
pub(crate) fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Whether `s` is an address inside one of `nets` (an IPv4 client of a dual-stack server is
/// logged IPv4-mapped).
pub(crate) fn in_nets(s: &str, nets: &[IpNet]) -> bool {
    s.parse::<IpAddr>().is_ok_and(|ip| {
        nets.iter()
            .any(|n| n.contains(&ip) || n.contains(&unmap(ip)))
    })
}

/// Parses an address (`10.0.0.1`) or a CIDR block (`10.0.0.0/8`).
pub fn parse_net(s: &str) -> Result<IpNet> {
    let s = s.trim();
    if let Ok(net) = s.parse::<IpNet>() {
        return Ok(net.trunc());
    }
    s.parse::<IpAddr>()
        .map(IpNet::from)
        .map_err(|_| FilterError::arg("--ip", format!("{s:?} is not an address or CIDR block")))
}
