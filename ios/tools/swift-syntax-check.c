/*
 * swift-syntax-check: parse Swift files with tree-sitter-swift and report every ERROR or
 * MISSING node, so the Swift sources can be checked on Linux where no Swift compiler exists.
 *
 *   swift-syntax-check FILE.swift...   exit 0 when every file parses cleanly, 1 otherwise
 *
 * Built by scripts/test-mobile from the C sources shipped in the npm packages `tree-sitter`
 * (the runtime, vendor/tree-sitter/lib/src/lib.c) and `tree-sitter-swift` (parser.c and
 * scanner.c). This is a syntax check only: types, names and imports are not resolved.
 */
#include <stdio.h>
#include <stdlib.h>

#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_swift(void);

/* Print each ERROR or MISSING node under `node` as file:line:column; return how many. */
static unsigned report_errors(TSNode node, const char *path) {
    unsigned found = 0;
    if (ts_node_is_error(node) || ts_node_is_missing(node)) {
        TSPoint at = ts_node_start_point(node);
        printf("%s:%u:%u: %s %s\n", path, at.row + 1, at.column + 1,
               ts_node_is_missing(node) ? "MISSING" : "syntax ERROR at", ts_node_type(node));
        found++;
    }
    if (!ts_node_has_error(node)) {
        return found;
    }
    uint32_t count = ts_node_child_count(node);
    for (uint32_t i = 0; i < count; i++) {
        found += report_errors(ts_node_child(node, i), path);
    }
    return found;
}

static char *read_file(const char *path, long *length) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        return NULL;
    }
    char *text = NULL;
    if (fseek(file, 0, SEEK_END) == 0 && (*length = ftell(file)) >= 0 && fseek(file, 0, SEEK_SET) == 0) {
        text = malloc((size_t)*length + 1);
        if (text != NULL && fread(text, 1, (size_t)*length, file) != (size_t)*length) {
            free(text);
            text = NULL;
        }
    }
    fclose(file);
    return text;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE.swift...\n", argv[0]);
        return 2;
    }
    TSParser *parser = ts_parser_new();
    if (!ts_parser_set_language(parser, tree_sitter_swift())) {
        fprintf(stderr, "tree-sitter-swift's ABI does not match the tree-sitter runtime\n");
        return 2;
    }
    unsigned bad_files = 0;
    for (int i = 1; i < argc; i++) {
        long length = 0;
        char *text = read_file(argv[i], &length);
        if (text == NULL) {
            perror(argv[i]);
            return 2;
        }
        TSTree *tree = ts_parser_parse_string(parser, NULL, text, (uint32_t)length);
        if (report_errors(ts_tree_root_node(tree), argv[i]) > 0) {
            bad_files++;
        }
        ts_tree_delete(tree);
        free(text);
    }
    ts_parser_delete(parser);
    printf("swift syntax: %d files, %u with errors\n", argc - 1, bad_files);
    return bad_files == 0 ? 0 : 1;
}
