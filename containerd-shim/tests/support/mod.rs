//! Helpers of the containerd test: a containerd of its own, and OCI image archives.

pub mod containerd;
pub mod image;
