/* PLACEHOLDER: replaced by the owning module. */
typedef int gmw_placeholder_jsonpatch;
