"""Cython half of the spec generator: writes src_pyx/_spec_gen.pxi (placeholder)."""


def render_pxi(model, header: str) -> str:
    return header + "\n# (compiled per-method marshalling not generated yet)\n"
