// `npm run bench [-- --smoke | --tune]`: the benchmark in bench/ (see bench/README.md).
import '../bench/run';
