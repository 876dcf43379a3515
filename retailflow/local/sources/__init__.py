"""Source systems on this machine for `retailflow land --local`: the generator's data published day by day through a
REST API (FastAPI on loopback) and a PostgreSQL database, and dropped files."""
