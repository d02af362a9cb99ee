/*
 * k8sname.c - RFC 1123 label syntax; see k8sname.h.
 */
#include "k8sname.h"

bool gmw_dns1123_label_valid(const char *s, size_t len)
{
    if (s == NULL || len == 0 || len > GMW_DNS1123_LABEL_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && !(c == '-' && i > 0 && i + 1 < len))
            return false;
    }
    return true;
}
