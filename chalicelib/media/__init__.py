"""Media work as pure functions: sniffing, metadata, thumbnails, video posters and transcodes.

No database, S3 or queues here: the pipeline stages call these with a file and store what
they return. Heavy libraries (pyvips, Pillow, rawpy, numpy) are imported inside the modules
that need them, so importing this package stays cheap.
"""
