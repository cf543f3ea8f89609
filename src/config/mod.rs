//! Flink configuration: files, environment overlays and `-D` properties, every
//! key declared once in [`options`].

pub mod master;
pub mod secret;
