; errors/floating-promise — a call whose value is thrown away. Only expression statements can
; float: `await`, `return`, `void`, assignments and arguments never match. The predicate in
; src/rules/errors/floating_promise.rs decides whether the call returns a promise.
(expression_statement
  (call_expression) @call) @match
