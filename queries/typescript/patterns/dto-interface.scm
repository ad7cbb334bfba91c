; patterns/dto-interface — `interface XDTO { … }`; the predicate checks the configured suffixes.
(interface_declaration
  name: (type_identifier) @name
  body: (_) @body) @match
