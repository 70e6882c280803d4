/* column_types.c -- a program built against an installed libplumb: prints each column's type and role.
 *
 * Build with pkg-config:  cc column_types.c $(pkg-config --cflags --libs plumb) -o column_types
 * or with CMake:          find_package(plumb) + target_link_libraries(app PRIVATE plumb::plumb)
 * Run:                    ./column_types data.csv
 */
#include <plumb/plumb.h>

#include <stdio.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: column_types <data.csv>\n");
        return 2;
    }
    plumb_frame *frame = NULL;
    plumb_error err;
    if (plumb_frame_read_csv(argv[1], NULL, &frame, &err) != PLUMB_OK) {
        char msg[PLUMB_ERROR_MAX];
        fprintf(stderr, "%s\n", plumb_error_format(&err, msg, sizeof msg));
        return 1;
    }
    const plumb_schema *schema = plumb_frame_schema(frame);
    printf("plumb %s: %lld rows\n", plumb_version(), (long long)plumb_frame_n_rows(frame));
    for (int64_t j = 0; j < plumb_schema_n_columns(schema); j++) {
        plumb_column_info c;
        plumb_schema_column(schema, j, &c);
        printf("%s\t%s\t%s\n", c.name, plumb_type_name(c.type), plumb_role_name(c.role));
    }
    plumb_frame_free(frame);
    return 0;
}
