"""The ``skyroll`` command-line client.

Modules, each small and importable on its own (no pydantic, PIL or boto3 here so the CLI
starts fast):

- ``config``  where the server URL and credential live (a 0600 JSON file)
- ``api``     the HTTP client: auth headers, JSON errors, retries with backoff
- ``hashing`` SHA-256 (base64, as S3's x-amz-checksum-sha256 wants) of files and parts
- ``files``   which paths to upload and their content types
- ``journal`` upload ids remembered across runs, so an interrupted upload resumes
- ``streams`` request bodies read from disk, replayable for retries, stoppable on Ctrl-C
- ``multipart`` one large file as resumable S3 multipart parts
- ``engine``  the upload itself: hash, bulk-check, PUT or multipart, resume
- ``download`` an original via its presigned GET, checked against its SHA-256
- ``render``  progress bars, and lines that print user data as it is
- ``main``    the typer commands
"""
