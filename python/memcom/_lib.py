"""The C library (build/libmemcom.so, built by build.sh) through ctypes.

Everything the package knows about the C side comes from the library itself:
error names (memcom_error_name), enum names (memcom_enum_name), and the layouts
of the structs it decodes or fills (memcom_struct_field).  Nothing here knows
a byte offset of a .memcom file.
"""
import ctypes
import os

_HERE = os.path.dirname(os.path.abspath(__file__))
DETAIL_CAP = 512


def _find_library():
    env = os.environ.get("MEMCOM_LIBRARY")
    if env:
        return env
    for path in (os.path.join(_HERE, "libmemcom.so"),  # an installed copy beside the package
                 os.path.join(_HERE, "..", "..", "build", "libmemcom.so")):  # the repository's build
        if os.path.exists(path):
            return os.path.normpath(path)
    raise ImportError("memcom: build/libmemcom.so not found; run `bash build.sh native` "
                      "in the repository (or set MEMCOM_LIBRARY to the library's path)")


LIBRARY = _find_library()
lib = ctypes.CDLL(LIBRARY)


def cli_path():
    """The `memcom` command built with the library (build/memcom), or MEMCOM_CLI."""
    path = os.environ.get("MEMCOM_CLI") or os.path.join(os.path.dirname(LIBRARY), "memcom")
    if not os.path.exists(path):
        raise ImportError(f"memcom: the memcom command is not at {path}; run `bash build.sh native` "
                          "(or set MEMCOM_CLI)")
    return path

c_p = ctypes.c_void_p
u32, u64, sz, cint = ctypes.c_uint32, ctypes.c_uint64, ctypes.c_size_t, ctypes.c_int
cstr = ctypes.c_char_p
P = ctypes.POINTER


def _sig(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)


_sig("memcom_error_name", cstr, cint)
_sig("memcom_version_string", cstr)
_sig("memcom_kernel_name", cstr)
_sig("memcom_enum_name", cstr, cint, u32)
_sig("memcom_struct_field", cint, cint, u32, P(cstr), P(u32), P(u32))
_sig("memcom_hash_bucket", u32, u32, u64, u32)
_sig("memcom_open", cint, P(c_p), c_p, sz, ctypes.c_uint, u64, c_p, sz)
_sig("memcom_close", None, c_p)
_sig("memcom_free", None, c_p)
_sig("memcom_get_info", cint, c_p, c_p)
_sig("memcom_get_layer", cint, c_p, u32, c_p)
_sig("memcom_get_head_layer", cint, c_p, u32, c_p)
_sig("memcom_metadata", c_p, c_p, P(sz))
_sig("memcom_find_id", cint, c_p, c_p, sz, P(u32))
_sig("memcom_get_id", cint, c_p, u32, P(c_p), P(sz))
_sig("memcom_lookup", cint, c_p, cint, u32, c_p)
_sig("memcom_user_vector", cint, c_p, c_p, sz, c_p)
_sig("memcom_score_vector", cint, c_p, c_p, sz, c_p)
_sig("memcom_topk_vector", cint, c_p, c_p, sz, c_p, c_p, c_p, P(sz))
_sig("memcom_recommend", cint, c_p, c_p, sz, c_p, c_p, c_p, P(sz))
_sig("memcom_recommend_popularity", cint, c_p, c_p, sz, ctypes.c_float, c_p, c_p, c_p, P(sz))
_sig("memcom_recommend_two_stage", cint, c_p, c_p, sz, c_p, sz, c_p, c_p, P(sz))
_sig("memcom_rerank", cint, c_p, c_p, sz, c_p, sz, sz, c_p, c_p, P(sz))
_sig("memcom_similar", cint, c_p, u32, c_p, c_p, c_p, P(sz))
_sig("memcom_section_count", u32, c_p)
_sig("memcom_get_section", cint, c_p, u32, c_p)
_sig("memcom_copy_output_bias", cint, c_p, c_p)
_sig("memcom_copy_layer", cint, c_p, u32, c_p, c_p)
# the builder of src/wasm/writer.c
_sig("mcw_new", c_p, u32)
_sig("mcw_free", None, c_p)
_sig("mcw_table", cint, c_p, u32, u32, u32, u32, u32, u32, u32, u32, u32, u32, u32, c_p, c_p, c_p, c_p)
_sig("mcw_layer", cint, c_p, u32, u32, u32, u32, c_p, c_p)
_sig("mcw_head", cint, c_p, u32)
_sig("mcw_head_layer", cint, c_p, u32, u32, u32, u32, c_p, c_p)
_sig("mcw_bias", None, c_p, c_p, u32)
_sig("mcw_ids", cint, c_p, c_p, c_p, u32)
_sig("mcw_metadata", None, c_p, c_p)
_sig("mcw_write", cint, c_p, P(c_p), P(sz), c_p, sz)
_sig("mcw_write_file", cint, c_p, cstr, c_p, sz)

VERSION = lib.memcom_version_string().decode()
KERNEL = lib.memcom_kernel_name().decode()


def _error_codes():
    codes = {}
    for code in range(256):
        name = lib.memcom_error_name(code).decode()
        if name == "unknown":
            break
        codes[name] = code
    return codes


ERROR_CODES = _error_codes()  # name -> code


class MemcomError(Exception):
    """An error of the memcom C library, or of an argument the package checked
    before calling it.  ``code`` is the C error name ("section_crc", "arg",
    "index", ...; memcom_error_name) and ``detail`` says what was wrong."""

    def __init__(self, code, detail=""):
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}" if detail else code)


def check(rc, detail=None, what=""):
    """Raise MemcomError for a nonzero C return code."""
    if rc:
        text = detail.value.decode("utf-8", "replace") if detail is not None else ""
        if what and not text:
            text = what
        raise MemcomError(lib.memcom_error_name(rc).decode(), text)


def arg_error(detail):
    return MemcomError("arg", detail)


def detail_buffer():
    return ctypes.create_string_buffer(DETAIL_CAP)


# name sets of memcom_enum_name (memcom_name_set in memcom.h), by position
_SETS = ("kind", "dtype", "bucket_mode", "activation", "id_encoding")


def _names(s):
    out = []
    while True:
        p = lib.memcom_enum_name(s, len(out))
        if not p:
            return out
        out.append(p.decode())


NAMES = {name: _names(i) for i, name in enumerate(_SETS)}  # set -> [name by value]


def enum_value(set_name, name, field, allow_none=False):
    names = NAMES[set_name]
    if not isinstance(name, str) or name not in names or (name == "none" and not allow_none):
        allowed = ", ".join(repr(n) for n in names if allow_none or n != "none")
        raise arg_error(f"{field}: must be one of {allowed}, got {name!r}")
    return names.index(name)


def enum_name(set_name, value):
    return NAMES[set_name][value]


# struct layouts (memcom_struct_id in memcom.h, by position)
_STRUCTS = ("info", "layer_info", "section_info", "topk_opts")


def _layout(which):
    fields = {}
    name, off, size = cstr(), u32(), u32()
    i = 0
    while lib.memcom_struct_field(which, i, ctypes.byref(name), ctypes.byref(off), ctypes.byref(size)) == 0:
        fields[name.value.decode()] = (off.value, size.value)
        i += 1
    return fields


LAYOUTS = {name: _layout(i) for i, name in enumerate(_STRUCTS)}
_INT = {4: ctypes.c_uint32, 8: ctypes.c_uint64}


class Struct:
    """A block of memory laid out as a C struct of memcom.h, by field name."""

    def __init__(self, which):
        self.fields = LAYOUTS[which]
        end = max(off + size for off, size in self.fields.values())
        self.buf = ctypes.create_string_buffer((end + 15) // 16 * 16 + 16)  # room for trailing padding

    @property
    def ptr(self):
        return ctypes.addressof(self.buf)

    def __getitem__(self, name):
        off, size = self.fields[name]
        return _INT[size].from_buffer(self.buf, off).value

    def __setitem__(self, name, value):
        off, size = self.fields[name]
        _INT[size].from_buffer(self.buf, off).value = value

    def to_dict(self):
        return {name: self[name] for name in self.fields}
