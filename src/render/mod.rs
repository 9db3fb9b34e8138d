//! CPU rasterising to RGBA and PNG.
