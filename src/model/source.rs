//! Traffic sources: UTM parameters, referrer, and the marketing channel derived from them.

use serde::{Deserialize, Serialize};

/// Where a visit came from, as recorded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrafficSource {
    /// `utm_source`, e.g. `google`, `instagram`, `newsletter`.
    pub utm_source: Option<String>,
    /// `utm_medium`, e.g. `cpc`, `paid_social`, `email`.
    pub utm_medium: Option<String>,
    /// `utm_campaign`.
    pub utm_campaign: Option<String>,
    /// `document.referrer` of the landing page.
    pub referrer: Option<String>,
}

/// A marketing channel, the grouping CRO reports segment by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// No referrer, no campaign.
    Direct,
    /// Unpaid search engine results.
    OrganicSearch,
    /// Search ads (`cpc`, `ppc`, `paidsearch`).
    PaidSearch,
    /// Social ads (`paid_social`, `cpm` on a social network).
    PaidSocial,
    /// Unpaid social network links.
    OrganicSocial,
    /// Email campaigns.
    Email,
    /// Any other referring site.
    Referral,
}

const SEARCH_ENGINES: [&str; 7] = [
    "google",
    "bing",
    "duckduckgo",
    "yahoo",
    "ecosia",
    "baidu",
    "yandex",
];
const SOCIAL_NETWORKS: [&str; 9] = [
    "facebook",
    "instagram",
    "tiktok",
    "pinterest",
    "twitter",
    "x.com",
    "linkedin",
    "reddit",
    "youtube",
];

impl Channel {
    /// All channels, in display order.
    pub const ALL: [Self; 7] = [
        Self::Direct,
        Self::OrganicSearch,
        Self::PaidSearch,
        Self::PaidSocial,
        Self::OrganicSocial,
        Self::Email,
        Self::Referral,
    ];

    /// Snake-case name used in files, the CLI and the store.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::OrganicSearch => "organic_search",
            Self::PaidSearch => "paid_search",
            Self::PaidSocial => "paid_social",
            Self::OrganicSocial => "organic_social",
            Self::Email => "email",
            Self::Referral => "referral",
        }
    }

    /// Parses a snake-case name.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl std::fmt::Display for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TrafficSource {
    /// Reads `utm_*` parameters from a landing URL's query string.
    #[must_use]
    pub fn from_landing_url(url: &str, referrer: Option<String>) -> Self {
        let mut source = Self {
            referrer: referrer.filter(|r| !r.is_empty()),
            ..Self::default()
        };
        let query = url.split_once('?').map_or("", |(_, q)| q);
        let query = query.split_once('#').map_or(query, |(q, _)| q);
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = Some(value.replace('+', " ")).filter(|v| !v.is_empty());
            match key {
                "utm_source" => source.utm_source = value,
                "utm_medium" => source.utm_medium = value,
                "utm_campaign" => source.utm_campaign = value,
                _ => {}
            }
        }
        source
    }

    /// The channel, by a simplified version of GA4's default channel grouping:
    /// medium first (`cpc` → paid search, or paid social when the source is a social network;
    /// `email`; `social`), then the referrer's host (search engine, social network, other).
    #[must_use]
    pub fn channel(&self) -> Channel {
        let lower = |s: &Option<String>| s.as_deref().unwrap_or("").to_ascii_lowercase();
        let medium = lower(&self.utm_medium);
        let source = lower(&self.utm_source);
        let is_social = |s: &str| SOCIAL_NETWORKS.iter().any(|n| s.contains(n));
        let is_search = |s: &str| SEARCH_ENGINES.iter().any(|n| s.contains(n));
        if matches!(
            medium.as_str(),
            "cpc" | "ppc" | "paidsearch" | "paid_search"
        ) {
            return if is_social(&source) {
                Channel::PaidSocial
            } else {
                Channel::PaidSearch
            };
        }
        if matches!(
            medium.as_str(),
            "paid_social" | "paidsocial" | "cpm" | "paid-social"
        ) {
            return Channel::PaidSocial;
        }
        if medium.contains("email") || medium == "newsletter" {
            return Channel::Email;
        }
        if matches!(medium.as_str(), "social" | "organic_social") {
            return Channel::OrganicSocial;
        }
        if medium == "organic" {
            return Channel::OrganicSearch;
        }
        let referrer = lower(&self.referrer);
        let host = referrer
            .split_once("://")
            .map_or(referrer.as_str(), |(_, rest)| rest)
            .split('/')
            .next()
            .unwrap_or("");
        if host.is_empty() {
            if !source.is_empty() {
                return if is_social(&source) {
                    Channel::OrganicSocial
                } else if is_search(&source) {
                    Channel::OrganicSearch
                } else {
                    Channel::Referral
                };
            }
            return Channel::Direct;
        }
        if is_search(host) {
            Channel::OrganicSearch
        } else if is_social(host) {
            Channel::OrganicSocial
        } else {
            Channel::Referral
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(medium: Option<&str>, src: Option<&str>, referrer: Option<&str>) -> TrafficSource {
        TrafficSource {
            utm_source: src.map(str::to_owned),
            utm_medium: medium.map(str::to_owned),
            utm_campaign: None,
            referrer: referrer.map(str::to_owned),
        }
    }

    #[test]
    fn classifies_channels() {
        assert_eq!(source(None, None, None).channel(), Channel::Direct);
        assert_eq!(
            source(Some("cpc"), Some("google"), None).channel(),
            Channel::PaidSearch
        );
        assert_eq!(
            source(Some("cpc"), Some("facebook"), None).channel(),
            Channel::PaidSocial
        );
        assert_eq!(
            source(Some("paid_social"), Some("tiktok"), None).channel(),
            Channel::PaidSocial
        );
        assert_eq!(
            source(Some("email"), Some("newsletter"), None).channel(),
            Channel::Email
        );
        assert_eq!(
            source(None, None, Some("https://www.google.com/")).channel(),
            Channel::OrganicSearch
        );
        assert_eq!(
            source(None, None, Some("https://l.instagram.com/x")).channel(),
            Channel::OrganicSocial
        );
        assert_eq!(
            source(None, None, Some("https://blog.example/post")).channel(),
            Channel::Referral
        );
    }

    #[test]
    fn reads_utm_parameters() {
        let s = TrafficSource::from_landing_url(
            "https://shop.test/?utm_source=instagram&utm_medium=paid_social&utm_campaign=spring+sale#top",
            Some(String::new()),
        );
        assert_eq!(s.utm_source.as_deref(), Some("instagram"));
        assert_eq!(s.utm_medium.as_deref(), Some("paid_social"));
        assert_eq!(s.utm_campaign.as_deref(), Some("spring sale"));
        assert_eq!(s.referrer, None);
        assert_eq!(s.channel(), Channel::PaidSocial);
    }
}
