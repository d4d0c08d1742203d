# Bash and coreutils on a workspace: globbing, redirections, pipelines, cp -r,
# ln, mv, rm -r, mkdir -p. Run with the workspace as cwd; output is relative.
set -u
mkdir -p sh/src/deep sh/empty
for i in 3 1 2; do echo "line $i" > "sh/src/f$i.txt"; done
echo deep > sh/src/deep/d.txt
echo "glob:" sh/src/*.txt sh/src/f[12].txt sh/src/**/d.txt
cat sh/src/f*.txt | tr a-z A-Z | sort -r | uniq | wc -l
{ echo err >&2; echo out; } > sh/both.txt 2>&1
cat < sh/both.txt
sort <<< "b
a"
cp -r sh/src sh/copy
cp sh/src/f1.txt sh/copy/f1-again.txt
ln -s f1.txt sh/copy/link.txt
ln sh/copy/f2.txt sh/copy/hard.txt
mv sh/copy/f3.txt sh/copy/deep/
mv sh/copy sh/moved
cat sh/moved/link.txt sh/moved/hard.txt
ls -R sh/moved
rm sh/moved/link.txt
rm -r sh/moved/deep
rmdir sh/empty
ls sh sh/moved
while read -r w; do printf '%s;' "$w"; done < sh/src/f1.txt; echo
echo "status: $?"
