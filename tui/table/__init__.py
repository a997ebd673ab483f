"""The entry table's data, pure and without widgets, so it is cheap to test and to diff.

`rows` (what a row is, built from a scope's layers), `diff` (lining a reload up with
the rows before it), `hits` (a filter's result as flags), `index` (rows plus their
haystack and sort orders) and `view` (the visible rows: one query, one sort).

A scope can hold a million entries. This code works on whole columns at once (map,
compress, itemgetter, sorted with list.__getitem__ keys) so the loops run in C, and
it keeps integer row indexes, never copies of rows.
"""
