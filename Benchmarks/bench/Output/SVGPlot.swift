import Foundation

/// A line plot with a log x-axis and a log or linear y-axis, written as a standalone SVG file: one
/// polyline per series, grid lines, labelled axes and a legend. No dependencies.
struct SVGPlot {
    /// One line of the plot.
    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
    }

    var title: String
    var xLabel: String
    var yLabel: String
    var series: [Series]
    /// Log-scale y (KL); otherwise linear (−ELBO), clipped to `yLimit` when given.
    var logY = true
    var yLimit: Double?
    /// Horizontal dashed lines (name, y): reference values such as the Laplace −ELBO.
    var referenceLines: [(name: String, y: Double)] = []
    var width = 1000.0
    var height = 500.0

    private static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                                  "#bcbd22", "#7f7f7f", "#393b79", "#e7969c"]

    /// The SVG document. Points with a non-positive or non-finite coordinate are left out (log axes).
    func render() -> String {
        let left = 80.0, right = 400.0, top = 40.0, bottom = 60.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let kept = series.map { s in
            Series(name: s.name, points: s.points.filter { $0.x > 0 && $0.x.isFinite && $0.y.isFinite && (!logY || $0.y > 0) })
        }
        let xs = kept.flatMap { $0.points.map(\.x) }
        let ys = kept.flatMap { $0.points.map(\.y) } + referenceLines.map(\.y).filter { $0.isFinite && (!logY || $0 > 0) }
        let (xLow, xHigh) = decadeRange(xs)
        let (yLow, yHigh, yTicks) = logY ? logAxis(ys) : linearAxis(ys)
        func px(_ x: Double) -> Double { left + (log10(x) - xLow) / (xHigh - xLow) * plotWidth }
        func py(_ y: Double) -> Double {
            let v = logY ? log10(y) : y
            return top + (yHigh - min(max(v, yLow), yHigh)) / (yHigh - yLow) * plotHeight
        }

        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
        font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(left + plotWidth / 2)" y="22" text-anchor="middle" font-size="15">\(escape(title))</text>

        """
        for e in Int(xLow)...Int(xHigh) {
            let x = px(pow(10, Double(e)))
            svg += line(x, top, x, top + plotHeight, "#dddddd")
            svg += text(x, top + plotHeight + 18, "1e\(e)", anchor: "middle")
        }
        for tick in yTicks {
            let y = top + (yHigh - tick) / (yHigh - yLow) * plotHeight
            svg += line(left, y, left + plotWidth, y, "#dddddd")
            svg += text(left - 8, y + 4, logY ? "1e\(Int(tick))" : String(format: "%g", tick), anchor: "end")
        }
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" fill=\"none\" stroke=\"black\"/>\n"
        svg += text(left + plotWidth / 2, height - 15, xLabel, anchor: "middle")
        svg += "<text transform=\"translate(20,\(top + plotHeight / 2)) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        for (index, s) in kept.enumerated() {
            let color = Self.palette[index % Self.palette.count]
            let path = s.points.map { "\(format(px($0.x))),\(format(py($0.y)))" }.joined(separator: " ")
            if !path.isEmpty {
                svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(path)\"/>\n"
            }
            let legendY = top + 10 + Double(index) * 20
            svg += line(left + plotWidth + 15, legendY, left + plotWidth + 40, legendY, color, width: 3)
            svg += "<text x=\"\(format(left + plotWidth + 46))\" y=\"\(format(legendY + 4))\" font-size=\"10.5\">\(escape(s.name))</text>\n"
        }
        for (index, reference) in referenceLines.enumerated() where reference.y.isFinite && (!logY || reference.y > 0) {
            let y = py(reference.y)
            svg += "<line x1=\"\(format(left))\" y1=\"\(format(y))\" x2=\"\(format(left + plotWidth))\" y2=\"\(format(y))\" "
                + "stroke=\"black\" stroke-width=\"1.5\" stroke-dasharray=\"6,4\"/>\n"
            let legendY = top + 10 + Double(kept.count + index) * 20
            svg += "<line x1=\"\(format(left + plotWidth + 15))\" y1=\"\(format(legendY))\" x2=\"\(format(left + plotWidth + 40))\" "
                + "y2=\"\(format(legendY))\" stroke=\"black\" stroke-width=\"1.5\" stroke-dasharray=\"6,4\"/>\n"
            svg += "<text x=\"\(format(left + plotWidth + 46))\" y=\"\(format(legendY + 4))\" font-size=\"10.5\">"
                + "\(escape(reference.name)) (reference)</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// Decades for a log axis: (low, high, ticks) in log10 units.
    private func logAxis(_ values: [Double]) -> (Double, Double, [Double]) {
        let (low, high) = decadeRange(values)
        return (low, high, stride(from: low, through: high, by: 1).map { $0 })
    }

    /// A linear axis from the smallest value to `yLimit` (or the largest), with about five round ticks.
    private func linearAxis(_ values: [Double]) -> (Double, Double, [Double]) {
        guard let low = values.min(), var high = values.max() else { return (0, 1, [0, 1]) }
        if let limit = yLimit { high = min(high, limit) }
        if high <= low { high = low + 1 }
        let raw = (high - low) / 5, magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        let a = floor(low / step) * step, b = ceil(high / step) * step
        return (a, b, stride(from: a, through: b + step / 2, by: step).map { $0 })
    }

    /// Whole decades covering the values (one decade when there are none or all are equal).
    private func decadeRange(_ values: [Double]) -> (Double, Double) {
        guard let low = values.min(), let high = values.max() else { return (0, 1) }
        let a = floor(log10(low)), b = ceil(log10(high))
        return a == b ? (a, a + 1) : (a, b)
    }

    private func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, _ color: String, width: Double = 1) -> String {
        "<line x1=\"\(format(x1))\" y1=\"\(format(y1))\" x2=\"\(format(x2))\" y2=\"\(format(y2))\" stroke=\"\(color)\" stroke-width=\"\(width)\"/>\n"
    }

    private func text(_ x: Double, _ y: Double, _ content: String, anchor: String) -> String {
        "<text x=\"\(format(x))\" y=\"\(format(y))\" text-anchor=\"\(anchor)\">\(escape(content))</text>\n"
    }

    private func format(_ v: Double) -> String { String(format: "%.1f", v) }

    private func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
