"""`axon-scopes serve`: AxonServer's session API over any of our stores, on aiohttp.

Mirrored from AxonServer's source (`axon-rs/src/axon_server.rs`, `auth_middleware.rs`,
`event_bus.rs`, `session_scope.rs`):

* routes and answers of `/v1/session` (summary sorted by name), `…/{scope}/export`
  (the memory layer only; CSV with only the value quoted, `"` doubled, `\\n` line
  ends), `…/query`, `…/recall/{key}`, `…/retrieve/{key}` (`found: false`),
  `…/remember|persist|mutate|purge` (mutate and purge answer `success: false` for a
  missing key and then publish nothing), `/v1/events/stream` and `/v1/events/history`;
* `{scope}` and `{key}` path segments are percent-decoded after routing, so `%2F`
  stays inside its segment and `%3A` is `:`; `scope` defaults to `global`,
  `source_step` to `api`, unknown body fields are ignored;
* keys: no `Authorization: Bearer` → 401, unknown key → 403, a read-only key may
  call the GET endpoints and `query` and gets 403 on a write;
* bodies: not JSON → 400, JSON of the wrong shape → 422, no JSON content type → 415;
* events: a ring of 200, newest first, `limit` (default 50) before `since` (strict,
  whole seconds, 0 = all); SSE blocks `id: <second*1000 + index>`, `event: <topic>`,
  `data: {"topic", "source", "timestamp", "payload"}`, or `:` when there is nothing.

Where Axon answers errors without a body (401, 403) we send its JSON error shape
`{"success": false, "error": <code>, "message": <text>}`; an Axon client reads the
status only. Our additions are advertised by `Axon-Scopes-Features` (see `app`).
"""
