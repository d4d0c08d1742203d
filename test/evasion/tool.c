/* The protected binary of test/evasion: the policy never lets the agent run it.
 * Built static, so it runs (and prints) whether or not the library is loaded. */
#include <stdio.h>
int main(void)
{
    puts("TOOL-RAN");
    return 42;
}
