extension VerifyReport {
    /// Placeholder replaced below by the charted report.
    public func html() -> String { "<!doctype html><pre>" + textTable() + "</pre>" }
}
