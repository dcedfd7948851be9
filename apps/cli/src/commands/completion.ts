import { Argument, type Command } from 'commander';
import { bashCompletion, fishCompletion, zshCompletion } from '../completion';
import type { CliIo } from '../context';

const SHELLS = { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion };

/** `helix completion bash|zsh|fish`: a script generated from the command tree. */
export function registerCompletion(program: Command, io: CliIo): void {
  program
    .command('completion')
    .description('print a shell completion script (commands, subcommands, options and their values)')
    .addArgument(new Argument('<shell>', 'the shell').choices(Object.keys(SHELLS)))
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  source <(helix completion bash)                                   # this bash session',
        '  helix completion bash > ~/.local/share/bash-completion/completions/helix',
        '  helix completion zsh > "${fpath[1]}/_helix"                       # then: compinit',
        '  helix completion fish > ~/.config/fish/completions/helix.fish',
      ].join('\n'),
    )
    .action((shell: keyof typeof SHELLS) => {
      io.out.raw('stdout', SHELLS[shell](program));
    });
}
