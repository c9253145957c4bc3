"""The op families of ``Value``, one file each, every op beside its gradient rule (see ``engine.py``)."""
