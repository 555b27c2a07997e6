//! What is PostgreSQL-specific: the embedded `migrations/postgres` set. Several instances may run the
//! migrations at once; sqlx serialises them with an advisory lock.

use sqlx::migrate::Migrator;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// The embedded PostgreSQL migrations.
pub(super) fn migrator() -> &'static Migrator {
    &MIGRATOR
}

/// The URL the pool connects with. When `url` names no `sslmode` and its host is this machine
/// (`localhost`, a loopback address), TLS is turned off: the driver's default (`prefer`) negotiates
/// TLS on every new connection and reads the CA bundle each time (50–70 ms of every start and of
/// every connection the pool adds), while on loopback TLS protects nothing and `prefer` verifies
/// no certificate anyway. Any `sslmode` the admin wrote is kept as written; a remote host without
/// one keeps the driver's default, and [`tls_advice`] says why that is weak.
pub(super) fn connect_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) if !chooses_transport(&parsed) && is_loopback(&parsed) => {
            let mut parsed = parsed;
            parsed.query_pairs_mut().append_pair("sslmode", "disable");
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// A warning for the log when `url` reaches a database on another machine with the driver's default
/// `sslmode=prefer`, which accepts any certificate (or none): an attacker on the path reads and
/// changes what is stored. `None` when the URL chose a mode or the database is on this machine.
pub(super) fn tls_advice(url: &str) -> Option<&'static str> {
    let parsed = url::Url::parse(url).ok()?;
    (!chooses_transport(&parsed) && !is_loopback(&parsed) && parsed.host().is_some()).then_some(
        "database_url reaches PostgreSQL on another machine without sslmode: the driver's default \
         (prefer) does not verify the server certificate; add ?sslmode=verify-full&sslrootcert=PATH",
    )
}

/// The URL decides the transport itself: it names an `sslmode`, or a `host=` socket directory
/// (over a Unix socket the driver uses no TLS at all).
fn chooses_transport(url: &url::Url) -> bool {
    url.query_pairs()
        .any(|(k, _)| k == "sslmode" || k == "host")
}

/// A host on this machine.
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        // A `postgres:` URL is not a "special" scheme to the URL parser: its IPv4 host comes back
        // as a name.
        Some(url::Host::Domain(d)) => {
            d.eq_ignore_ascii_case("localhost")
                || d.parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{connect_url, tls_advice};

    #[test]
    fn loopback_without_sslmode_turns_tls_off() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/test",
            "postgres://u:p@localhost/db",
            "postgresql://u@[::1]:5433/db?application_name=idp",
            "postgres://u@127.0.0.2/db",
        ] {
            let got = connect_url(url);
            assert!(got.ends_with("sslmode=disable"), "{url} -> {got}");
            assert_eq!(tls_advice(url), None, "{url}");
        }
        assert_eq!(
            connect_url("postgres://u:p%40ss@localhost:5432/db?application_name=idp"),
            "postgres://u:p%40ss@localhost:5432/db?application_name=idp&sslmode=disable"
        );
    }

    #[test]
    fn a_written_sslmode_or_a_remote_host_is_kept() {
        for url in [
            "postgres://u@127.0.0.1/db?sslmode=require",
            "postgres://u@localhost/db?sslmode=verify-full&sslrootcert=/etc/ca.pem",
            "postgres://u@db.internal:5432/db",
            "postgres://u@10.0.0.5/db",
            "postgres://u@localhost/db?host=/var/run/postgresql",
        ] {
            assert_eq!(connect_url(url), url);
        }
        assert!(tls_advice("postgres://u@db.internal:5432/db").is_some());
        assert!(tls_advice("postgres://u@10.0.0.5/db?sslmode=verify-full").is_none());
        assert!(tls_advice("postgres://u@127.0.0.1/db").is_none());
    }
}
