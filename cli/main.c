/* waybill: entry point; dispatches to the subcommand table (cli/commands.h). */
#include <stdio.h>

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "waybill: not built yet\n");
    return 2;
}
