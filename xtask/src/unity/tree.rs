//! A package's files as Unity imports them: its assets, and the `.meta` beside each.
//! Unity skips hidden files and whatever is in a folder whose name ends with `~`
//! (`Documentation~`, `Samples~`), and ignores an asset without a `.meta` in an
//! immutable (tarball) package.

use std::collections::BTreeSet;
use std::path::Path;

/// The package's paths, relative to its root, with `/` between folders.
#[derive(Debug, Default)]
pub struct Tree {
    /// Every file and folder Unity imports, but the `.meta` files.
    pub assets: BTreeSet<String>,
    /// Every `.meta` file.
    pub metas: BTreeSet<String>,
}

impl Tree {
    /// Reads the tree under `root`.
    pub fn read(root: &Path) -> Result<Self, String> {
        let mut tree = Self::default();
        tree.read_folder(root, "")?;
        Ok(tree)
    }

    fn read_folder(&mut self, folder: &Path, prefix: &str) -> Result<(), String> {
        let entries =
            std::fs::read_dir(folder).map_err(|error| format!("{}: {error}", folder.display()))?;
        for entry in entries {
            let entry = entry.map_err(|error| format!("{}: {error}", folder.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name.ends_with('~') {
                continue;
            }
            let relative = format!("{prefix}{name}");
            if Path::new(&name)
                .extension()
                .is_some_and(|ext| ext == "meta")
            {
                self.metas.insert(relative);
                continue;
            }
            if entry.path().is_dir() {
                self.read_folder(&entry.path(), &format!("{relative}/"))?;
            }
            self.assets.insert(relative);
        }
        Ok(())
    }

    /// The assets that have no `.meta`.
    pub fn assets_without_meta(&self) -> impl Iterator<Item = &str> {
        self.assets
            .iter()
            .filter(|asset| !self.metas.contains(&format!("{asset}.meta")))
            .map(String::as_str)
    }

    /// The `.meta` files with no asset beside them, as (the `.meta`, its asset).
    pub fn metas_without_asset(&self) -> impl Iterator<Item = (&str, &str)> {
        self.metas.iter().filter_map(|meta| {
            let asset = meta.strip_suffix(".meta")?;
            (!self.assets.contains(asset)).then_some((meta.as_str(), asset))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::Scratch;

    #[test]
    fn lists_assets_and_metas_skipping_what_unity_skips() {
        let package = Scratch::new("tree-lists");
        for file in [
            "package.json",
            "package.json.meta",
            "Runtime.meta",
            "Runtime/Tracker.cs",
            "Samples~/Tracking/Sample.cs",
            ".hidden/file",
            "notes.txt~",
        ] {
            package.write(file, "");
        }
        let tree = Tree::read(package.path()).expect("the fixture reads");
        let assets: Vec<&str> = tree.assets.iter().map(String::as_str).collect();
        assert_eq!(assets, ["Runtime", "Runtime/Tracker.cs", "package.json"]);
        let metas: Vec<&str> = tree.metas.iter().map(String::as_str).collect();
        assert_eq!(metas, ["Runtime.meta", "package.json.meta"]);
        let without: Vec<&str> = tree.assets_without_meta().collect();
        assert_eq!(without, ["Runtime/Tracker.cs"]);
    }

    #[test]
    fn finds_a_meta_whose_asset_is_gone() {
        let tree = Tree {
            assets: BTreeSet::from(["Runtime".to_string()]),
            metas: BTreeSet::from(["Runtime.meta".to_string(), "Old.cs.meta".to_string()]),
        };
        let orphans: Vec<(&str, &str)> = tree.metas_without_asset().collect();
        assert_eq!(orphans, [("Old.cs.meta", "Old.cs")]);
    }

    #[test]
    fn a_missing_folder_is_an_error_naming_it() {
        let error = Tree::read(Path::new("/nonexistent/package")).unwrap_err();
        assert!(error.contains("/nonexistent/package"), "{error}");
    }
}
