; patterns/dto-type-assertion — `value as XDTO`; the predicate checks the asserted type's name
; (also `XDTO[]`, `Array<XDTO>`, `ns.XDTO`) and skips test files. The angle-bracket form
; `<XDTO>value` is not matched: the TSX grammar has no such node and this query is shared.
(as_expression) @match
