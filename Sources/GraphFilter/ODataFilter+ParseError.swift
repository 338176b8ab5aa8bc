/// Why a `$filter` or `where` expression did not parse, and where: `column` counts characters
/// from 1, so a config error can point at the mistake.
extension ODataFilter {
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let message: String
        /// 1-based character position of the token that did not fit (one past the end at the end).
        public let column: Int

        public init(_ message: String, column: Int) {
            self.message = message
            self.column = column
        }

        public var description: String { "Invalid filter clause: \(message) (column \(column))" }

        /// The expression with a caret under the column, for a terminal or a log line.
        public func pointing(into text: String) -> String {
            let line = text.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\t", with: " ")
            return line + "\n" + String(repeating: " ", count: max(0, column - 1)) + "^"
        }
    }
}
