// A message row in a tree (an error, a hint, "nothing to show"), the same in every view.
import * as vscode from 'vscode';

export interface NoteNode { text: string; tooltip?: string; icon: string; color?: string }

export function noteItem(node: NoteNode): vscode.TreeItem {
  const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
  item.iconPath = new vscode.ThemeIcon(node.icon, node.color ? new vscode.ThemeColor(node.color) : undefined);
  if (node.tooltip) item.tooltip = node.tooltip;
  return item;
}
