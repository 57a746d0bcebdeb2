/* tools/bgcopy/program.c - the entry point of bgcopy. Everything else is in cli_main (main.c),
 * so fuzz/cli_args_fuzzer.c can run the whole command line in-process.
 */
#include "cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
