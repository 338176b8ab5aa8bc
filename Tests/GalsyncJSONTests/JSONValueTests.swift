import Foundation
import GalsyncJSON
import Testing

@Suite struct JSONValueTests {
    @Test(arguments: [
        #"{"a":[1,2.5,-3e2,true,false,null],"b":{"c":"d"},"e":""}"#,
        #"["\u00e9\ud83d\ude00 \"quoted\" \\ \/ \n\t", 0, -0.5]"#,
        #"  { "spaced" : [ ] , "x" : { } }  "#,
    ])
    func parsesWhatFoundationParsesTheSameWay(text: String) throws {
        let ours = try #require(JSONValue.parse(Data(text.utf8)))
        let foundation = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(ours == foundation)
        // Our canonical output parses back to the same value.
        #expect(JSONValue.parse(ours.encoded()) == ours)
    }

    @Test(arguments: [#"{"a":1"#, #"{"a" 1}"#, "[1,]", #""unterminated"#, "tru", "01x", #"{"a":"\x"}"#, "", "[1] 2", "\"\u{01}\""])
    func rejectsMalformedJSON(text: String) {
        let parsed: JSONValue? = JSONValue.parse(Data(text.utf8))
        #expect(parsed == Optional<JSONValue>.none, "\(String(describing: parsed))")
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(JSONValue.parse(Data(deep.utf8)) == Optional<JSONValue>.none)
    }

    @Test func encodingIsCanonical() {
        let v: JSONValue = ["b": 1, "a": ["x": "y\u{0001}"], "c": 2.5]
        #expect(String(decoding: v.encoded(), as: UTF8.self) == #"{"a":{"x":"y\u0001"},"b":1,"c":2.5}"#)
    }

    @Test func randomValuesRoundTrip() {
        var rng = SystemRandomNumberGenerator()
        func random(_ depth: Int) -> JSONValue {
            switch Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &rng) {
            case 0: return .null
            case 1: return .bool(Bool.random(using: &rng))
            case 2: return .number(Double(Int.random(in: -1_000_000...1_000_000, using: &rng)) / 8)
            case 3: return .string(String((0..<Int.random(in: 0..<12, using: &rng)).map { _ in Character(Unicode.Scalar(UInt32.random(in: 0x20...0x2FF, using: &rng))!) }))
            case 4: return .array((0..<Int.random(in: 0..<5, using: &rng)).map { _ in random(depth + 1) })
            default: return .object(Dictionary((0..<Int.random(in: 0..<5, using: &rng)).map { ("k\($0)", random(depth + 1)) }, uniquingKeysWith: { a, _ in a }))
            }
        }
        for _ in 0..<500 {
            let v = random(0)
            #expect(JSONValue.parse(v.encoded()) == v)
        }
    }
}

@Suite struct PrunedParseTests {
    @Test func keepsOnlyTheNamedKeysAtTheGivenDepth() throws {
        let text = #"{"responses":[{"id":"1","status":201,"headers":{"Retry-After":"3","Location":"x"},"body":{"id":"AAMk=","displayName":"A \"quoted\" name","emailAddresses":[{"address":"a@b"}],"nested":{"deep":[1,2,{"x":null}]}}},{"id":"2","status":429,"body":{"error":{"code":"ApplicationThrottled","message":"over"}}}]}"#
        let v = try #require(JSONValue.parse(Data(text.utf8), keepingAtDepth: 4, only: ["id", "error", "Retry-After"]))
        let items = try #require(v["responses"]?.arrayValue)
        #expect(items[0]["body"] == ["id": "AAMk="])
        #expect(items[0]["headers"] == ["Retry-After": "3"])
        #expect(items[0]["status"] == 201)
        #expect(items[1]["body"]?["error"]?["code"] == "ApplicationThrottled")
    }

    @Test func malformedSkippedContentStillFails() {
        for bad in [#"{"a":{"b":{"c":{"skip":[1,2}}}}"#, #"{"a":{"b":{"c":{"skip":"unterminated}}}}"#, #"{"a":{"b":{"c":{"skip":{"k" 1}}}}}"#] {
            #expect(JSONValue.parse(Data(bad.utf8), keepingAtDepth: 4, only: ["id"]) == nil, "\(bad)")
        }
    }
}
