/*
 * policy — a server's handshake policy from its options (see policy.h).
 *
 * Given code.
 */
#include "policy.h"

#include <stdlib.h>
#include <string.h>

static void free_list(const char *const *list) {
    for (const char *const *p = list; p != NULL && *p != NULL; p++) free((char *)*p);
    free((void *)list);
}

/* Splits a comma-separated list into a NULL-terminated array of its
 * elements, without the spaces around them and without empty ones; "" gives
 * an empty array. Returns NULL if memory runs out. */
static const char *const *split_list(const char *text) {
    size_t max = 1;
    for (const char *p = text; *p != '\0'; p++) max += *p == ',';
    char **list = calloc(max + 1, sizeof *list);
    if (list == NULL) return NULL;
    size_t n = 0;
    for (const char *p = text; n < max && *p != '\0';) {
        const char *end = strchr(p, ',');
        if (end == NULL) end = p + strlen(p);
        const char *a = p, *b = end;
        while (a < b && (*a == ' ' || *a == '\t')) a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
        if (b > a && (list[n++] = strndup(a, (size_t)(b - a))) == NULL) {
            free_list((const char *const *)list);
            return NULL;
        }
        p = *end == ',' ? end + 1 : end;
    }
    return (const char *const *)list;
}

int policy_init(struct handshake_config *hs, const char *origin, const char *protocol,
                bool require_origin) {
    *hs = (struct handshake_config){.require_origin = require_origin};
    hs->same_origin = strcmp(origin, "same") == 0;
    if (!hs->same_origin && strcmp(origin, "*") != 0 && (hs->origins = split_list(origin)) == NULL)
        return -1;
    if ((hs->protocols = split_list(protocol)) == NULL) {
        policy_free(hs);
        return -1;
    }
    return 0;
}

void policy_free(struct handshake_config *hs) {
    free_list(hs->origins);
    free_list(hs->protocols);
    hs->origins = hs->protocols = NULL;
}
