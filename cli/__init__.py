"""The `axon-scopes` command line: the interactive app, and scripting commands over any source.

`axon-scopes SOURCE` opens the app; `axon-scopes ls|get|set|rm|entries|export|
import|copy|tail ...` are for scripts. The scripting commands never import
Textual: they start in a fraction of the app's time and run where no terminal is.
"""
