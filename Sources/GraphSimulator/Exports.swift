/// The simulator speaks in `JSONValue`s; users of the library get the type with it.
@_exported import GalsyncJSON
@_exported import GraphFilter
@_exported import GraphSimulatorModel
