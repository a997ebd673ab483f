"""A running AxonServer as a source, through its HTTP API (`http://`, `https://`).

Importing this package imports nothing else: httpx loads with `client`, when a
server source is opened.
"""
