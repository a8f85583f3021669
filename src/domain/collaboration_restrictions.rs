//! Collaboration restrictions: which email domains guests may be invited
//! from (Entra's `B2BManagementPolicy`, `InvitationsAllowedAndBlockedDomainsPolicy`).
//! One policy per organization: any domain, a deny list, or an allow list.
//! A listed domain covers only itself; `*.example.org` covers the
//! subdomains of example.org (and not example.org itself).

use crate::domain::organization::parse_domain;

/// Most bytes the whole list of target domains may take, as Entra allows.
pub const MAX_POLICY_BYTES: usize = 25 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestrictionMode {
    /// Invitations go to any domain (the default).
    AnyDomain,
    /// Invitations go anywhere but the target domains.
    DenyListed,
    /// Invitations go only to the target domains.
    AllowListed,
}

impl RestrictionMode {
    pub const ALL: [RestrictionMode; 3] = [
        RestrictionMode::AnyDomain,
        RestrictionMode::DenyListed,
        RestrictionMode::AllowListed,
    ];

    /// The stored and posted key.
    pub fn key(self) -> &'static str {
        match self {
            RestrictionMode::AnyDomain => "any",
            RestrictionMode::DenyListed => "deny",
            RestrictionMode::AllowListed => "allow",
        }
    }

    /// Entra's label on External collaboration settings.
    pub fn label(self) -> &'static str {
        match self {
            RestrictionMode::AnyDomain => "Allow invitations to be sent to any domain (most inclusive)",
            RestrictionMode::DenyListed => "Deny invitations to the specified domains",
            RestrictionMode::AllowListed => "Allow invitations only to the specified domains (most restrictive)",
        }
    }

    /// The form's value.
    pub fn parse(input: &str) -> Result<RestrictionMode, String> {
        Self::ALL
            .into_iter()
            .find(|mode| mode.key() == input.trim())
            .ok_or_else(|| "Choose which domains invitations may be sent to.".to_owned())
    }

    /// What the audit log calls the list this mode keeps.
    fn list_name(self) -> &'static str {
        match self {
            RestrictionMode::AnyDomain => "none",
            RestrictionMode::DenyListed => "BlockedDomains",
            RestrictionMode::AllowListed => "AllowedDomains",
        }
    }
}

/// One line of Target domains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainPattern {
    /// `example.org`: that domain only.
    Exact(String),
    /// `*.example.org`: any subdomain of example.org.
    Subdomains(String),
}

impl DomainPattern {
    pub fn parse(line: &str) -> Result<DomainPattern, String> {
        let line = line.trim();
        match line.strip_prefix("*.") {
            Some(base) => parse_domain(base)
                .map(DomainPattern::Subdomains)
                .map_err(|_| format!("{line} is not a domain name like *.example.org.")),
            None => parse_domain(line)
                .map(DomainPattern::Exact)
                .map_err(|_| format!("{line} is not a domain name like example.org or *.example.org.")),
        }
    }

    /// Whether this line covers `domain` (lower case, as `Email::domain` gives it).
    pub fn covers(&self, domain: &str) -> bool {
        match self {
            DomainPattern::Exact(d) => domain == d,
            DomainPattern::Subdomains(base) => domain
                .strip_suffix(base.as_str())
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
        }
    }
}

impl std::fmt::Display for DomainPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DomainPattern::Exact(d) => f.write_str(d),
            DomainPattern::Subdomains(base) => write!(f, "*.{base}"),
        }
    }
}

/// The organization's collaboration restrictions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainPolicy {
    pub mode: RestrictionMode,
    pub domains: Vec<DomainPattern>,
}

impl Default for DomainPolicy {
    fn default() -> Self {
        DomainPolicy {
            mode: RestrictionMode::AnyDomain,
            domains: Vec::new(),
        }
    }
}

impl DomainPolicy {
    /// The policy as the form sends it: a mode and Target domains, one per
    /// line. Any domain keeps no list. Errors name the line.
    pub fn parse(mode: &str, target_domains: &str) -> Result<DomainPolicy, String> {
        let mode = RestrictionMode::parse(mode)?;
        if mode == RestrictionMode::AnyDomain {
            return Ok(DomainPolicy::default());
        }
        if target_domains.len() > MAX_POLICY_BYTES * 2 {
            return Err(too_long());
        }
        let mut domains: Vec<DomainPattern> = Vec::new();
        let mut problems = Vec::new();
        for (index, line) in target_domains.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match DomainPattern::parse(line) {
                Ok(pattern) if domains.contains(&pattern) => {
                    problems.push(format!("Line {}: {pattern} is listed twice.", index + 1))
                }
                Ok(pattern) => domains.push(pattern),
                Err(e) => problems.push(format!("Line {}: {e}", index + 1)),
            }
            if problems.len() == 5 {
                problems.push("Correct these lines and save again.".into());
                break;
            }
        }
        if !problems.is_empty() {
            return Err(problems.join(" "));
        }
        if domains.is_empty() {
            return Err(match mode {
                RestrictionMode::DenyListed => "List at least one domain to deny, one per line.".into(),
                _ => "List at least one domain to allow, one per line.".into(),
            });
        }
        let policy = DomainPolicy { mode, domains };
        if policy.stored_list().len() > MAX_POLICY_BYTES {
            return Err(too_long());
        }
        Ok(policy)
    }

    /// The stored form: a mode key and the list, one per line. A stored
    /// list that no longer parses (written by hand) keeps its valid lines.
    pub fn from_stored(mode: &str, list: &str) -> DomainPolicy {
        let mode = RestrictionMode::parse(mode).unwrap_or(RestrictionMode::AnyDomain);
        let domains = if mode == RestrictionMode::AnyDomain {
            Vec::new()
        } else {
            list.lines().filter_map(|l| DomainPattern::parse(l).ok()).collect()
        };
        DomainPolicy { mode, domains }
    }

    /// Target domains, one per line, as stored and shown.
    pub fn stored_list(&self) -> String {
        self.domains
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Whether an invitation may go to an address at `domain`.
    pub fn admits(&self, domain: &str) -> bool {
        let listed = || self.domains.iter().any(|d| d.covers(domain));
        match self.mode {
            RestrictionMode::AnyDomain => true,
            RestrictionMode::DenyListed => !listed(),
            RestrictionMode::AllowListed => listed(),
        }
    }

    /// Why an invitation to `domain` is refused, naming the rule.
    pub fn refusal(&self, domain: &str) -> String {
        match self.mode {
            RestrictionMode::AllowListed => format!(
                "Invitations to {domain} are not allowed: the collaboration restrictions on External collaboration settings allow invitations only to the specified domains."
            ),
            _ => format!(
                "Invitations to {domain} are not allowed: the collaboration restrictions on External collaboration settings deny invitations to this domain."
            ),
        }
    }

    /// Whether saving `next` over this policy swaps an allow list for a
    /// deny list or back, which discards the old list.
    pub fn switch_discards_list(&self, next: &DomainPolicy) -> bool {
        let lists = [RestrictionMode::DenyListed, RestrictionMode::AllowListed];
        lists.contains(&self.mode) && lists.contains(&next.mode) && self.mode != next.mode && !self.domains.is_empty()
    }

    /// The audit entry's details for a change from `self` to `next`, in
    /// Entra's policy words; None when nothing changed.
    pub fn change_details(&self, next: &DomainPolicy) -> Option<String> {
        if self == next {
            return None;
        }
        let mut parts = Vec::new();
        if self.mode != next.mode {
            parts.push(format!(
                "InvitationsAllowedAndBlockedDomainsPolicy: {} -> {}",
                self.mode.list_name(),
                next.mode.list_name()
            ));
        }
        let kept = |list: &[DomainPattern], d: &DomainPattern| list.contains(d) && self.mode == next.mode;
        let added: Vec<String> = next
            .domains
            .iter()
            .filter(|d| !kept(&self.domains, d))
            .map(ToString::to_string)
            .collect();
        let removed: Vec<String> = self
            .domains
            .iter()
            .filter(|d| !kept(&next.domains, d))
            .map(ToString::to_string)
            .collect();
        let summary = |list: &[String]| {
            let shown: Vec<&str> = list.iter().take(20).map(String::as_str).collect();
            let more = list.len().saturating_sub(shown.len());
            if more > 0 {
                format!("{} and {more} more", shown.join(", "))
            } else {
                shown.join(", ")
            }
        };
        if !added.is_empty() {
            parts.push(format!("{} added: {}", next.mode.list_name(), summary(&added)));
        }
        if !removed.is_empty() {
            parts.push(format!("{} removed: {}", self.mode.list_name(), summary(&removed)));
        }
        Some(parts.join("; "))
    }
}

fn too_long() -> String {
    format!("Target domains may take at most {} KB in all.", MAX_POLICY_BYTES / 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(mode: &str, list: &str) -> DomainPolicy {
        DomainPolicy::parse(mode, list).unwrap()
    }

    #[test]
    fn a_listed_domain_covers_itself_and_a_star_covers_only_subdomains() {
        let deny = policy("deny", "fabrikam.example\n*.contoso.example");
        assert!(!deny.admits("fabrikam.example"));
        assert!(deny.admits("sales.fabrikam.example"));
        assert!(!deny.admits("sales.contoso.example"));
        assert!(!deny.admits("a.b.contoso.example"));
        assert!(deny.admits("contoso.example"));
        assert!(deny.admits("notcontoso.example"));
        assert!(deny.admits("xfabrikam.example"));
        let allow = policy("allow", "Fabrikam.Example.\n");
        assert!(allow.admits("fabrikam.example"));
        assert!(!allow.admits("woodgrove.example"));
        assert!(DomainPolicy::default().admits("anything.example"));
    }

    #[test]
    fn the_list_is_validated_line_by_line() {
        assert_eq!(
            DomainPolicy::parse("deny", "ok.example\nnot a domain\n*.\nok.example").unwrap_err(),
            "Line 2: not a domain is not a domain name like example.org or *.example.org. \
             Line 3: *. is not a domain name like *.example.org. Line 4: ok.example is listed twice."
        );
        assert!(
            DomainPolicy::parse("allow", "\n  \n")
                .unwrap_err()
                .contains("at least one domain to allow")
        );
        assert!(DomainPolicy::parse("sideways", "a.example").is_err());
        assert_eq!(policy("any", "ignored\nlist").domains, vec![]);
    }

    #[test]
    fn the_whole_list_is_at_most_25_kb() {
        let fits: String = (0..1700).map(|i| format!("d{i:05}.example\n")).collect();
        assert!(DomainPolicy::parse("deny", &fits).is_ok(), "{} bytes", fits.len());
        let over: String = (0..1800).map(|i| format!("d{i:05}.example\n")).collect();
        assert_eq!(
            DomainPolicy::parse("deny", &over).unwrap_err(),
            "Target domains may take at most 25 KB in all."
        );
    }

    #[test]
    fn stored_policies_read_back_and_switches_are_noticed() {
        let deny = policy("deny", "a.example\n*.b.example");
        assert_eq!(DomainPolicy::from_stored("deny", &deny.stored_list()), deny);
        let allow = policy("allow", "a.example");
        assert!(deny.switch_discards_list(&allow));
        assert!(!deny.switch_discards_list(&DomainPolicy::default()));
        assert!(!deny.switch_discards_list(&policy("deny", "c.example")));
        assert_eq!(
            deny.change_details(&allow).unwrap(),
            "InvitationsAllowedAndBlockedDomainsPolicy: BlockedDomains -> AllowedDomains; \
             AllowedDomains added: a.example; BlockedDomains removed: a.example, *.b.example"
        );
        assert_eq!(
            deny.change_details(&policy("deny", "a.example\nc.example")).unwrap(),
            "BlockedDomains added: c.example; BlockedDomains removed: *.b.example"
        );
        assert_eq!(deny.change_details(&deny.clone()), None);
    }
}
