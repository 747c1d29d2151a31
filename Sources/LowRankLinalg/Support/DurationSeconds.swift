extension Duration {
    /// The duration in seconds as a `Double`: seconds + attoseconds·10⁻¹⁸. Shared by the package's
    /// timers (the `fit` driver, the phase clock, the benchmarks).
    package var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
