//! Connections to the site's hosts: each model host a lab binds is one open libvirt
//! connection, and libvirt's errors on it become kvmlab's (see
//! [`crate::real::host_refusal`]).

use crate::error::Error;
use crate::real::host_refusal::{refusal, Attempt};
use crate::site::SiteHost;
use virt::connect::Connect;

/// A model host bound to a real one.
pub struct RealHost {
    pub site: SiteHost,
    pub conn: Connect,
}

impl RealHost {
    /// Opens the host's libvirt URI; an unreachable one names the URI and libvirt's reason.
    pub fn open(site: &SiteHost) -> Result<RealHost, Error> {
        match Connect::open(Some(&site.uri)) {
            Ok(conn) => Ok(RealHost {
                site: site.clone(),
                conn,
            }),
            Err(e) => Err(Error::LibvirtUnreachable {
                host: site.name.clone(),
                uri: site.uri.clone(),
                message: e.message().to_string(),
                help: format!(
                    "check that libvirtd runs there and answers: `virsh -c '{}' version`; on a `kvmlab up` lab, `kvmlab status` shows what is up",
                    site.uri
                ),
            }),
        }
    }

    /// libvirt's error `e`, raised while making the `object` (`guest`, `pool`, `volume`)
    /// that `virsh inspect` shows, as kvmlab's.
    pub fn refused_making(
        &self,
        action: &str,
        object: &str,
        inspect: &str,
        e: &virt::error::Error,
    ) -> Error {
        refusal(
            e.code().to_raw(),
            e.message(),
            &Attempt {
                host: &self.site.name,
                uri: &self.site.uri,
                action,
                object: Some(object),
                inspect: Some(inspect),
                ..Attempt::default()
            },
        )
    }

    /// libvirt's error `e`, raised while doing `action` (to `guest`), as kvmlab's.
    pub fn refused(&self, action: &str, guest: Option<&str>, e: &virt::error::Error) -> Error {
        refusal(
            e.code().to_raw(),
            e.message(),
            &Attempt {
                host: &self.site.name,
                uri: &self.site.uri,
                action,
                guest,
                ..Attempt::default()
            },
        )
    }
}
