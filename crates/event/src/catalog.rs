//! The action catalog: every action auditlake knows, with its category and default tier.
//!
//! Actions are dotted and lower case, `category.object.verb`. Sources may add actions of their
//! own; those take their category from the first segment and have no default tier.

/// The default tier names the catalog uses. A configuration that defines tiers of these names
/// gets the catalog's routing for free; see `auditlake-archive`'s tier routing.
pub mod tier {
    /// Security-relevant events, kept long (7 years in the shipped configs).
    pub const SECURITY: &str = "security";
    /// Business and change history, kept 1 year in the shipped configs.
    pub const STANDARD: &str = "standard";
    /// Operational noise (messages sent, reports generated), kept 90 days in the shipped configs.
    pub const OPERATIONAL: &str = "operational";
}

/// One action of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionDef {
    /// Dotted action name.
    pub action: &'static str,
    /// The first segment of `action`.
    pub category: &'static str,
    /// The tier this action lands in when a configuration routes by default tier.
    pub default_tier: &'static str,
    /// One line for humans.
    pub summary: &'static str,
}

const fn def(
    action: &'static str,
    category: &'static str,
    default_tier: &'static str,
    summary: &'static str,
) -> ActionDef {
    ActionDef {
        action,
        category,
        default_tier,
        summary,
    }
}

use tier::{OPERATIONAL as OPS, SECURITY as SEC, STANDARD as STD};

/// Every action auditlake knows, sorted by name.
pub const CATALOG: &[ActionDef] = &[
    // Accounts: user lifecycle, passwords, lockout, invitations, roles, groups, application access.
    def(
        "account.application.assign",
        "account",
        SEC,
        "a user or group was given access to an application",
    ),
    def(
        "account.application.unassign",
        "account",
        SEC,
        "a user's or group's access to an application was removed",
    ),
    def(
        "account.group.create",
        "account",
        SEC,
        "a group or team was created",
    ),
    def(
        "account.group.delete",
        "account",
        SEC,
        "a group or team was deleted",
    ),
    def(
        "account.group.member_add",
        "account",
        SEC,
        "a member was added to a group or team",
    ),
    def(
        "account.group.member_remove",
        "account",
        SEC,
        "a member was removed from a group or team",
    ),
    def(
        "account.group.update",
        "account",
        SEC,
        "a group or team was changed (name, settings, permissions)",
    ),
    def(
        "account.invitation.accept",
        "account",
        SEC,
        "an invitation was accepted",
    ),
    def(
        "account.invitation.decline",
        "account",
        SEC,
        "an invitation was declined",
    ),
    def(
        "account.invitation.send",
        "account",
        SEC,
        "an invitation was sent",
    ),
    def(
        "account.lock",
        "account",
        SEC,
        "an account was locked (e.g. after repeated failures)",
    ),
    def(
        "account.password.change",
        "account",
        SEC,
        "a password was changed",
    ),
    def(
        "account.password.reset_complete",
        "account",
        SEC,
        "a password reset was completed",
    ),
    def(
        "account.password.reset_request",
        "account",
        SEC,
        "a password reset was requested",
    ),
    def(
        "account.profile.update",
        "account",
        SEC,
        "a user's profile was updated",
    ),
    def(
        "account.role.change",
        "account",
        SEC,
        "a user's role or permissions changed",
    ),
    def("account.role.create", "account", SEC, "a role was defined"),
    def("account.role.delete", "account", SEC, "a role was deleted"),
    def(
        "account.role.grant",
        "account",
        SEC,
        "a role or privilege was granted to a user, group or service account",
    ),
    def(
        "account.role.revoke",
        "account",
        SEC,
        "a role or privilege was taken from a user, group or service account",
    ),
    def(
        "account.role.update",
        "account",
        SEC,
        "a role's permissions were changed",
    ),
    def("account.unlock", "account", SEC, "an account was unlocked"),
    def(
        "account.user.activate",
        "account",
        SEC,
        "a created user was activated",
    ),
    def(
        "account.user.anonymous_promote",
        "account",
        SEC,
        "an anonymous user was promoted to a full user",
    ),
    def("account.user.create", "account", SEC, "a user was created"),
    def("account.user.delete", "account", SEC, "a user was deleted"),
    def(
        "account.user.deletion_schedule",
        "account",
        SEC,
        "a user's deletion was scheduled",
    ),
    def(
        "account.user.deletion_unschedule",
        "account",
        SEC,
        "a user's scheduled deletion was cancelled",
    ),
    def(
        "account.user.disable",
        "account",
        SEC,
        "a user was disabled",
    ),
    def(
        "account.user.reenable",
        "account",
        SEC,
        "a disabled user was re-enabled",
    ),
    def(
        "account.user.update",
        "account",
        SEC,
        "a user account's attributes were changed (shell, home, expiry, groups)",
    ),
    // Reads of the archive itself, written by `auditlake serve` about its own readers.
    def(
        "audit.log.export",
        "audit",
        SEC,
        "someone exported audit events through the API or console",
    ),
    def(
        "audit.log.view",
        "audit",
        SEC,
        "someone read audit events or a report through the API or console",
    ),
    // Authentication: primary and secondary factors, each failure kind its own action.
    def(
        "authentication.anonymous",
        "authentication",
        SEC,
        "anonymous authentication",
    ),
    def(
        "authentication.biometric",
        "authentication",
        SEC,
        "biometric authentication",
    ),
    def(
        "authentication.ip_block",
        "authentication",
        SEC,
        "an address was blocked after too many failed sign-ins",
    ),
    def(
        "authentication.login",
        "authentication",
        SEC,
        "a sign-in (primary authentication)",
    ),
    def(
        "authentication.login_id",
        "authentication",
        SEC,
        "the login id was looked up (failure: not found, invalid user)",
    ),
    def(
        "authentication.mfa.disable",
        "authentication",
        SEC,
        "a second factor was removed",
    ),
    def(
        "authentication.mfa.enroll",
        "authentication",
        SEC,
        "a second factor was set up",
    ),
    def(
        "authentication.mfa.otp_email",
        "authentication",
        SEC,
        "second-factor one-time code by email",
    ),
    def(
        "authentication.mfa.otp_sms",
        "authentication",
        SEC,
        "second-factor one-time code by SMS",
    ),
    def(
        "authentication.mfa.otp_whatsapp",
        "authentication",
        SEC,
        "second-factor one-time code by WhatsApp",
    ),
    def(
        "authentication.mfa.password",
        "authentication",
        SEC,
        "second-factor password",
    ),
    def(
        "authentication.mfa.recovery_code",
        "authentication",
        SEC,
        "a recovery code was used as second factor",
    ),
    def(
        "authentication.mfa.totp",
        "authentication",
        SEC,
        "second-factor TOTP code",
    ),
    def(
        "authentication.mfa.update",
        "authentication",
        SEC,
        "a second factor was changed",
    ),
    def(
        "authentication.mfa.verify",
        "authentication",
        SEC,
        "a second factor was verified (kind unspecified)",
    ),
    def(
        "authentication.policy.evaluate",
        "authentication",
        SEC,
        "a sign-on policy decided on a sign-in (allow, deny or challenge)",
    ),
    def(
        "authentication.primary.otp_email",
        "authentication",
        SEC,
        "primary one-time code by email",
    ),
    def(
        "authentication.primary.otp_sms",
        "authentication",
        SEC,
        "primary one-time code by SMS",
    ),
    def(
        "authentication.primary.password",
        "authentication",
        SEC,
        "primary password check",
    ),
    def(
        "authentication.primary.publickey",
        "authentication",
        SEC,
        "primary public-key check (e.g. SSH)",
    ),
    // Credentials: security keys, passkeys, access tokens and API keys.
    def(
        "authentication.sso",
        "authentication",
        SEC,
        "single sign-on into an application (relying party)",
    ),
    def(
        "authentication.token.issue",
        "authentication",
        SEC,
        "a token was issued to a client (code or refresh token exchange, client credentials)",
    ),
    def(
        "credential.acquire",
        "credential",
        SEC,
        "a user's credentials were established for a session (PAM setcred)",
    ),
    def(
        "credential.delete",
        "credential",
        SEC,
        "a security key or passkey was deleted",
    ),
    def(
        "credential.dispose",
        "credential",
        SEC,
        "a session's credentials were disposed of (PAM setcred at its end)",
    ),
    def(
        "credential.refresh",
        "credential",
        SEC,
        "a session's credentials were refreshed or reinitialized",
    ),
    def(
        "credential.register",
        "credential",
        SEC,
        "a security key or passkey was registered",
    ),
    def(
        "credential.token.create",
        "credential",
        SEC,
        "an access token, API key or service-account token was created",
    ),
    def(
        "credential.token.revoke",
        "credential",
        SEC,
        "an access token, API key or service-account token was revoked",
    ),
    def(
        "credential.use",
        "credential",
        SEC,
        "a security key or passkey was used to sign in to a relying party",
    ),
    // Data access.
    def("data.export", "data", SEC, "data was exported"),
    // Identities attached to a user.
    def(
        "identity.biometric.disable",
        "identity",
        SEC,
        "a biometric identity was disabled",
    ),
    def(
        "identity.biometric.enable",
        "identity",
        SEC,
        "a biometric identity was enabled",
    ),
    def(
        "identity.email.add",
        "identity",
        SEC,
        "an email address was added",
    ),
    def(
        "identity.email.remove",
        "identity",
        SEC,
        "an email address was removed",
    ),
    def(
        "identity.email.update",
        "identity",
        SEC,
        "an email address was changed",
    ),
    def(
        "identity.email.verify",
        "identity",
        SEC,
        "an email address was verified",
    ),
    def(
        "identity.oauth.connect",
        "identity",
        SEC,
        "an OAuth provider was linked",
    ),
    def(
        "identity.oauth.disconnect",
        "identity",
        SEC,
        "an OAuth provider was unlinked",
    ),
    def(
        "identity.phone.add",
        "identity",
        SEC,
        "a phone number was added",
    ),
    def(
        "identity.phone.remove",
        "identity",
        SEC,
        "a phone number was removed",
    ),
    def(
        "identity.phone.update",
        "identity",
        SEC,
        "a phone number was changed",
    ),
    def(
        "identity.username.add",
        "identity",
        SEC,
        "a username was added",
    ),
    def(
        "identity.username.remove",
        "identity",
        SEC,
        "a username was removed",
    ),
    def(
        "identity.username.update",
        "identity",
        SEC,
        "a username was changed",
    ),
    // Messages sent on a user's behalf.
    def("message.email.send", "message", OPS, "an email was sent"),
    def("message.sms.send", "message", OPS, "an SMS was sent"),
    def(
        "message.whatsapp.send",
        "message",
        OPS,
        "a WhatsApp message was sent",
    ),
    // Resources (assets, licenses, records) with their change history.
    def(
        "resource.assign",
        "resource",
        STD,
        "a resource was assigned",
    ),
    def("resource.create", "resource", STD, "a resource was created"),
    def("resource.delete", "resource", STD, "a resource was deleted"),
    def(
        "resource.read",
        "resource",
        OPS,
        "a resource was read or listed (e.g. a Kubernetes get, list or watch)",
    ),
    def(
        "resource.secret_change",
        "resource",
        SEC,
        "a secret was created or changed",
    ),
    def(
        "resource.secret_delete",
        "resource",
        SEC,
        "a secret was deleted",
    ),
    def(
        "resource.secret_view",
        "resource",
        SEC,
        "a sensitive value (e.g. a license key) was viewed",
    ),
    def(
        "resource.status_change",
        "resource",
        STD,
        "a resource's status changed",
    ),
    def(
        "resource.unassign",
        "resource",
        STD,
        "a resource was unassigned",
    ),
    def("resource.update", "resource", STD, "a resource was edited"),
    // Sessions.
    def("session.create", "session", SEC, "a session was created"),
    def(
        "session.disconnect",
        "session",
        SEC,
        "a connection closed (e.g. SSH disconnect)",
    ),
    def(
        "session.elevate",
        "session",
        SEC,
        "a user acted as another, or gained a privileged authorization (sudo, su, pkexec, polkit)",
    ),
    def(
        "session.exec",
        "session",
        SEC,
        "a command was run on a host (sudo, an audited execve) or in a running workload, or a terminal attached to one (kubectl exec, attach)",
    ),
    def("session.expire", "session", SEC, "a session expired"),
    def(
        "session.port_forward",
        "session",
        SEC,
        "a port of a running workload was forwarded to a client",
    ),
    def("session.sign_out", "session", SEC, "a user signed out"),
    def(
        "session.terminate",
        "session",
        SEC,
        "a session was terminated",
    ),
    // System.
    def(
        "system.admin.action",
        "system",
        SEC,
        "an administrator's management operation whose kind the source does not say",
    ),
    def(
        "system.alert.fire",
        "system",
        SEC,
        "an auditlake alert fired",
    ),
    def(
        "system.application.create",
        "system",
        SEC,
        "an application or integration was registered (OAuth app, SSO app, client)",
    ),
    def(
        "system.application.delete",
        "system",
        SEC,
        "an application or integration was removed",
    ),
    def(
        "system.application.update",
        "system",
        SEC,
        "an application's or integration's configuration was changed",
    ),
    def(
        "system.audit.start",
        "system",
        SEC,
        "the audit daemon or audit logging started",
    ),
    def(
        "system.audit.stop",
        "system",
        SEC,
        "the audit daemon or audit logging stopped (or aborted)",
    ),
    def(
        "system.integration.configure",
        "system",
        STD,
        "an integration was configured",
    ),
    def(
        "system.policy.create",
        "system",
        SEC,
        "a security policy was created (sign-on, password, MFA, branch protection)",
    ),
    def(
        "system.policy.delete",
        "system",
        SEC,
        "a security policy was deleted",
    ),
    def(
        "system.policy.update",
        "system",
        SEC,
        "a security policy or one of its rules was changed",
    ),
    def(
        "system.report.generate",
        "system",
        OPS,
        "a report was generated",
    ),
    def(
        "system.security.change",
        "system",
        SEC,
        "a security setting changed (two-factor requirement, realm or organization security)",
    ),
    def(
        "system.service.start",
        "system",
        OPS,
        "a system service was started",
    ),
    def(
        "system.service.stop",
        "system",
        OPS,
        "a system service was stopped",
    ),
    def(
        "system.settings.change",
        "system",
        STD,
        "settings were changed",
    ),
];

/// Looks an action up in the catalog.
pub fn lookup(action: &str) -> Option<&'static ActionDef> {
    CATALOG
        .binary_search_by(|d| d.action.cmp(action))
        .ok()
        .map(|i| &CATALOG[i])
}

/// The category of an action: the catalog's, else the first dotted segment.
pub fn category_of(action: &str) -> &str {
    match lookup(action) {
        Some(d) => d.category,
        None => action.split('.').next().unwrap_or(action),
    }
}

/// Whether `action` is a well-formed action name: dotted, lower case ASCII letters, digits and `_`,
/// at least two segments, no empty segment.
pub fn is_valid_action(action: &str) -> bool {
    let mut segments = 0;
    for seg in action.split('.') {
        if seg.is_empty()
            || !seg
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return false;
        }
        segments += 1;
    }
    segments >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_sorted_and_unique() {
        for w in CATALOG.windows(2) {
            assert!(
                w[0].action < w[1].action,
                "{} before {}",
                w[0].action,
                w[1].action
            );
        }
    }

    #[test]
    fn every_action_is_well_formed_and_in_its_category() {
        for d in CATALOG {
            assert!(is_valid_action(d.action), "{}", d.action);
            assert_eq!(d.action.split('.').next(), Some(d.category), "{}", d.action);
            assert!([tier::SECURITY, tier::STANDARD, tier::OPERATIONAL].contains(&d.default_tier));
        }
    }

    #[test]
    fn lookup_finds_and_misses() {
        assert_eq!(lookup("credential.use").unwrap().category, "credential");
        assert!(lookup("credential.frobnicate").is_none());
        assert_eq!(category_of("custom.thing.happen"), "custom");
    }

    #[test]
    fn action_name_validation() {
        assert!(is_valid_action("a.b_c.d2"));
        assert!(!is_valid_action("A.b"));
        assert!(!is_valid_action("single"));
        assert!(!is_valid_action("a..b"));
    }
}
