/*
 * imageref.c - container image reference syntax; see imageref.h.
 */
#include "imageref.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define NAME_MAX_LEN 255 /* registry + path, as Docker limits a repository name */
#define TAG_MAX_LEN 128
#define SHA256_HEX 64

static int fail(const char **why, const char *reason)
{
    if (why != NULL)
        *why = reason;
    return -EINVAL;
}

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* One path component s[0..len): lower-case alphanumeric runs joined by separators. */
static bool path_component_valid(const char *s, size_t len)
{
    size_t i = 0;
    if (len == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
        return false;
    while (i < len) {
        if (is_lower_alnum(s[i])) {
            i++;
            continue;
        }
        /* a separator: ".", "_", "__" or one or more "-", then an alphanumeric */
        size_t start = i;
        if (s[i] == '.') {
            i++;
        } else if (s[i] == '_') {
            i++;
            if (i < len && s[i] == '_')
                i++;
        } else if (s[i] == '-') {
            while (i < len && s[i] == '-')
                i++;
        } else {
            return false;
        }
        if (i == start || i >= len || !is_lower_alnum(s[i]))
            return false;
    }
    return true;
}

/* The registry s[0..len): host[:port], host DNS labels or a bracketed IPv6 address. */
static bool registry_valid(const char *s, size_t len)
{
    size_t hlen = len;
    const char *colon = NULL;
    if (len > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        char tmp[64];
        struct in6_addr a6;
        if (close == NULL || (size_t)(close - s - 1) >= sizeof tmp || close == s + 1)
            return false;
        memcpy(tmp, s + 1, (size_t)(close - s - 1));
        tmp[close - s - 1] = '\0';
        if (inet_pton(AF_INET6, tmp, &a6) != 1)
            return false;
        hlen = (size_t)(close - s) + 1;
        if (hlen != len && s[hlen] != ':')
            return false;
        colon = hlen != len ? s + hlen : NULL;
    } else {
        colon = memchr(s, ':', len);
        if (colon != NULL)
            hlen = (size_t)(colon - s);
        size_t label = 0;
        if (hlen == 0)
            return false;
        for (size_t i = 0; i < hlen; i++) {
            if (s[i] == '.') {
                if (label == 0 || s[i - 1] == '-')
                    return false;
                label = 0;
            } else if (is_alnum(s[i]) || (s[i] == '-' && label > 0)) {
                label++;
            } else {
                return false;
            }
        }
        if (label == 0 || s[hlen - 1] == '-')
            return false;
    }
    if (colon != NULL) {
        size_t plen = len - (size_t)(colon - s) - 1;
        if (plen == 0 || plen > 5 || strspn(colon + 1, "0123456789") < plen)
            return false;
    }
    return true;
}

int gmw_image_ref_check(const char *ref, const char **why)
{
    if (ref == NULL || ref[0] == '\0')
        return fail(why, "is empty");
    size_t len = strlen(ref);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)ref[i];
        if (c <= 0x20 || c == 0x7f)
            return fail(why, "contains whitespace or a control character");
        if (c > 0x7f)
            return fail(why, "contains a non-ASCII character");
    }

    /* @digest */
    const char *at = strchr(ref, '@');
    size_t name_tag_len = len;
    if (at != NULL) {
        static const char prefix[] = "sha256:";
        if (strncmp(at + 1, prefix, sizeof prefix - 1) != 0)
            return fail(why, "the digest must be @sha256:<64 lower-case hex digits>");
        const char *hex = at + 1 + sizeof prefix - 1;
        if (strlen(hex) != SHA256_HEX || strspn(hex, "0123456789abcdef") != SHA256_HEX)
            return fail(why, "the digest must be @sha256:<64 lower-case hex digits>");
        name_tag_len = (size_t)(at - ref);
        if (name_tag_len == 0)
            return fail(why, "has no repository name before the digest");
    }

    /* :tag (a colon after the last slash) */
    size_t name_len = name_tag_len;
    const char *last_slash = NULL;
    for (size_t i = 0; i < name_tag_len; i++)
        if (ref[i] == '/')
            last_slash = ref + i;
    const char *tag_colon = NULL;
    for (const char *p = last_slash != NULL ? last_slash : ref; p < ref + name_tag_len; p++)
        if (*p == ':')
            tag_colon = p;
    if (tag_colon != NULL) {
        const char *tag = tag_colon + 1;
        size_t tlen = name_tag_len - (size_t)(tag - ref);
        if (tlen == 0 || tlen > TAG_MAX_LEN)
            return fail(why, "the tag must be 1 to 128 characters");
        if (!is_alnum(tag[0]) && tag[0] != '_')
            return fail(why, "the tag must start with a letter, digit or '_'");
        for (size_t i = 1; i < tlen; i++)
            if (!is_alnum(tag[i]) && tag[i] != '_' && tag[i] != '.' && tag[i] != '-')
                return fail(why, "the tag may only contain letters, digits, '_', '.' and '-'");
        name_len = (size_t)(tag_colon - ref);
    }
    if (name_len == 0)
        return fail(why, "has no repository name");
    if (name_len > NAME_MAX_LEN)
        return fail(why, "the repository name is longer than 255 characters");

    /* registry/ */
    const char *path = ref;
    const char *first_slash = memchr(ref, '/', name_len);
    if (first_slash != NULL) {
        size_t rlen = (size_t)(first_slash - ref);
        bool is_registry = memchr(ref, '.', rlen) != NULL || memchr(ref, ':', rlen) != NULL ||
                           (rlen == 9 && memcmp(ref, "localhost", 9) == 0);
        for (size_t i = 0; i < rlen && !is_registry; i++)
            is_registry = ref[i] >= 'A' && ref[i] <= 'Z';
        if (is_registry) {
            if (!registry_valid(ref, rlen))
                return fail(why, "the registry must be HOST[:PORT] (DNS labels or [IPv6])");
            path = first_slash + 1;
        }
    }

    /* path components */
    const char *end = ref + name_len;
    if (path >= end)
        return fail(why, "has no repository path after the registry");
    while (path <= end) {
        const char *slash = memchr(path, '/', (size_t)(end - path));
        const char *cend = slash != NULL ? slash : end;
        if (!path_component_valid(path, (size_t)(cend - path)))
            return fail(why, "the repository path must be lower-case letters and digits, "
                             "components separated by '/' and joined by '.', '_', '__' or '-'");
        if (slash == NULL)
            break;
        path = slash + 1;
    }
    return 0;
}
