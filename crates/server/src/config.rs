//! Typed configuration: defaults < file (`--config`, or `omics-match.toml` if present) <
//! environment (`OMICS_<SETTING>`, and `DATABASE_URL`) < command-line flags.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use omics_api::Settings;

/// Flags that override configuration, shared by the commands.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct Overrides {
    /// Configuration file (TOML).
    #[arg(long, global = true, env = "OMICS_CONFIG")]
    pub config: Option<PathBuf>,
    /// Folder for the SQLite file, the search index and the token secret.
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// `postgres://user@host/db` to keep records in PostgreSQL.
    #[arg(long, global = true)]
    pub database_url: Option<String>,
}

pub fn load(o: &Overrides, port: Option<u16>, host: Option<String>) -> anyhow::Result<Settings> {
    let mut fig = Figment::from(Serialized::defaults(Settings::default()));
    let default_file = Path::new("omics-match.toml");
    match &o.config {
        Some(path) => {
            anyhow::ensure!(path.exists(), "configuration file {} does not exist", path.display());
            fig = fig.merge(Toml::file(path));
        }
        None if default_file.exists() => fig = fig.merge(Toml::file(default_file)),
        None => {}
    }
    fig = fig.merge(Env::raw().only(&["DATABASE_URL"]).map(|_| "database_url".into()));
    fig = fig.merge(Env::prefixed("OMICS_").ignore(&["CONFIG"]).split("__"));
    let mut s: Settings = fig.extract()?;
    if let Some(d) = &o.data_dir {
        s.data_dir = d.clone();
    }
    if let Some(u) = &o.database_url {
        s.database_url = Some(u.clone());
    }
    if let Some(p) = port {
        s.port = p;
    }
    if let Some(h) = host {
        s.host = h;
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's closure returns figment's own error
    fn oidc_settings_from_a_file() {
        // In a Jail too: the other test sets OMICS_* variables in its Jail, and Jails take turns,
        // so this one never reads that test's environment (it ran in parallel and read
        // OMICS_LOG_FORMAT=yaml).
        figment::Jail::expect_with(|_jail| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("omics-match.toml");
            std::fs::write(
                &path,
                r#"
[oidc]
issuer = "https://login.aai.lifescience-ri.eu/oidc/"
audience = "omics-match-client"
jwks_url = "https://login.aai.lifescience-ri.eu/oidc/jwk"
algorithms = ["RS256"]
roles_claim = "eduperson_entitlement"
jwks_refresh_min_secs = 60

[oidc.roles]
"urn:geant:lifescience-ri.eu:group:noe-admins#login.aai.lifescience-ri.eu" = "admin"
"urn:geant:lifescience-ri.eu:group:noe-platforms#login.aai.lifescience-ri.eu" = "platform_manager"
"#,
            )
            .unwrap();
            let s = load(&Overrides { config: Some(path), ..Overrides::default() }, None, None).unwrap();
            assert_eq!(s.oidc.issuer.as_deref(), Some("https://login.aai.lifescience-ri.eu/oidc/"));
            assert_eq!(s.oidc.algorithms, vec![omics_api::oidc::Algorithm::RS256]);
            assert_eq!(s.oidc.roles["urn:geant:lifescience-ri.eu:group:noe-admins#login.aai.lifescience-ri.eu"], omics_domain::Role::Admin);
            assert_eq!(s.oidc.default_role, omics_domain::Role::Researcher);
            assert_eq!(s.oidc.jwks_refresh_min_secs, 60);
            // Off by default, with RS256 and ES256 when turned on.
            let d = omics_api::Settings::default();
            assert!(d.oidc.issuer.is_none());
            assert_eq!(d.oidc.algorithms, vec![omics_api::oidc::Algorithm::RS256, omics_api::oidc::Algorithm::ES256]);
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's closure returns figment's own error
    fn list_settings_from_the_environment() {
        // As deploy/compose.yaml sets them.
        figment::Jail::expect_with(|jail| {
            jail.set_env("OMICS_TRUSTED_PROXIES", r#"["172.28.0.0/24"]"#);
            jail.set_env("OMICS_CORS_ALLOWED_ORIGINS", "[]");
            jail.set_env("OMICS_LOG_FORMAT", "json");
            let s = load(&Overrides::default(), None, None).unwrap();
            assert_eq!(s.trusted_proxies, vec!["172.28.0.0/24".to_owned()]);
            assert!(s.cors_allowed_origins.is_empty());
            assert_eq!(s.log_format, omics_api::settings::LogFormat::Json);
            // Several entries, quoted or not, and `*`.
            jail.set_env("OMICS_TRUSTED_PROXIES", r#"["10.0.0.7", "2001:db8::/32"]"#);
            jail.set_env("OMICS_CORS_ALLOWED_ORIGINS", r#"["https://app.example.org", "*"]"#);
            jail.set_env("OMICS_LOG_FORMAT", "text");
            let s = load(&Overrides::default(), None, None).unwrap();
            assert_eq!(s.trusted_proxies, vec!["10.0.0.7".to_owned(), "2001:db8::/32".to_owned()]);
            assert_eq!(s.cors_allowed_origins, vec!["https://app.example.org".to_owned(), "*".to_owned()]);
            assert_eq!(s.log_format, omics_api::settings::LogFormat::Text);
            jail.set_env("OMICS_LOG_FORMAT", "yaml");
            assert!(load(&Overrides::default(), None, None).is_err(), "an unknown log format is refused");
            Ok(())
        });
        // Defaults: nothing trusted, no cross-origin access, text logs.
        let d = omics_api::Settings::default();
        assert!(d.trusted_proxies.is_empty() && d.cors_allowed_origins.is_empty());
        assert_eq!(d.log_format, omics_api::settings::LogFormat::Text);
    }
}
