//! What the fuzz targets share: a scratch directory per process, a collector address
//! that refuses every connection at once, and `Arbitrary` mirrors of the wire types
//! (prost's generated structs do not derive it).

pub mod capture;

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use hamustro::internals::wire::{Collection, Parameter, Payload};

/// This process's scratch directory under `$TMPDIR`, created on first use. Targets
/// empty it between inputs with `wipe`, so one input never sees another's files.
pub fn scratch_dir(target: &str) -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("hamustro-fuzz-{target}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("cannot create the scratch directory");
        dir.canonicalize()
            .expect("cannot resolve the scratch directory")
    })
}

/// Removes everything inside `dir`, keeping `dir` itself.
pub fn wipe(dir: &Path) {
    let entries = std::fs::read_dir(dir).expect("cannot list the scratch directory");
    for entry in entries.flatten() {
        let path = entry.path();
        let removed = if entry.file_type().is_ok_and(|t| t.is_dir()) {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.unwrap_or_else(|e| panic!("cannot remove {}: {e}", path.display()));
    }
}

/// `http://127.0.0.1:<port>` where a socket is bound but never listens: every
/// connection is refused at once, and no other process can take the port while this
/// one runs (a port merely found free could be taken by a test collector).
pub fn refused_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        // SAFETY: plain socket calls on a descriptor this function owns; it is kept
        // open (never closed) for the life of the process.
        unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
            assert!(fd >= 0, "socket() failed");
            let mut addr: libc::sockaddr_in = std::mem::zeroed();
            addr.sin_family = libc::AF_INET as libc::sa_family_t;
            addr.sin_addr.s_addr = u32::from(Ipv4Addr::LOCALHOST).to_be();
            addr.sin_port = 0;
            let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
            let bound = libc::bind(fd, (&addr as *const libc::sockaddr_in).cast(), len);
            assert_eq!(bound, 0, "bind() failed");
            let mut got_len = len;
            let named = libc::getsockname(
                fd,
                (&mut addr as *mut libc::sockaddr_in).cast(),
                &mut got_len,
            );
            assert_eq!(named, 0, "getsockname() failed");
            format!("http://127.0.0.1:{}", u16::from_be(addr.sin_port))
        }
    })
}

#[derive(Arbitrary, Debug, Clone)]
pub struct ArbParameter {
    pub name: String,
    pub value: String,
}

#[derive(Arbitrary, Debug, Clone)]
pub struct ArbPayload {
    pub at: u64,
    pub event: String,
    pub nr: u32,
    pub timezone: Option<String>,
    pub tenant_id: Option<String>,
    pub user_id: Option<String>,
    pub ip: Option<String>,
    pub country: Option<String>,
    pub parameters: Vec<ArbParameter>,
}

impl ArbPayload {
    pub fn wire(&self) -> Payload {
        Payload {
            at: self.at,
            event: self.event.clone(),
            nr: self.nr,
            timezone: self.timezone.clone(),
            tenant_id: self.tenant_id.clone(),
            user_id: self.user_id.clone(),
            ip: self.ip.clone(),
            country: self.country.clone(),
            parameters: self
                .parameters
                .iter()
                .map(|p| Parameter {
                    name: p.name.clone(),
                    value: p.value.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
pub struct ArbCollection {
    pub device_id: String,
    pub client_id: String,
    pub session: String,
    pub system_version: String,
    pub product_version: String,
    /// Any i32: values outside the enum are what a damaged row would hold.
    pub env: i32,
    pub device_make: Option<String>,
    pub device_model: Option<String>,
    pub system: Option<String>,
    pub system_language: Option<String>,
    pub browser: Option<String>,
    pub browser_version: Option<String>,
    pub product_git_hash: Option<String>,
    pub product_language: Option<String>,
    pub payloads: Vec<ArbPayload>,
}

impl ArbCollection {
    pub fn wire(&self) -> Collection {
        Collection {
            device_id: self.device_id.clone(),
            client_id: self.client_id.clone(),
            session: self.session.clone(),
            system_version: self.system_version.clone(),
            product_version: self.product_version.clone(),
            env: self.env,
            device_make: self.device_make.clone(),
            device_model: self.device_model.clone(),
            system: self.system.clone(),
            system_language: self.system_language.clone(),
            browser: self.browser.clone(),
            browser_version: self.browser_version.clone(),
            product_git_hash: self.product_git_hash.clone(),
            product_language: self.product_language.clone(),
            payloads: self.payloads.iter().map(ArbPayload::wire).collect(),
        }
    }
}
